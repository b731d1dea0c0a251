"""Request limits, as ASGI middleware that answers before the application parses anything.

body.py            request body size (413 request.too_large), JSON depth (422 request.too_deep)
                   and well-formedness (422 request.json_invalid), checked off the event loop
json_depth.py      how deep a JSON document nests, found without parsing it
rate.py            per-client token bucket (429 request.rate_limited, with Retry-After)
client_address.py  whose address a request is from: X-Forwarded-For only from set proxies
reply.py           sends an ApiError from middleware, in the one error body
"""
