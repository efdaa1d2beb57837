#!/usr/bin/env python3
"""Writes Herald's OpenAPI document into Sources/HeraldAPI/OpenAPI/OpenAPIDocument.swift.

The routes are the router's own: each `RouteSpec(.method, "path", handler)` in Sources/HeraldAPI/Routes, read from
the source, so the list exists once. DOCS below describes each by its handler (`ApplicationRoutes.list`; `#n` for the nth path of one handler): tag, summary,
authentication, request model, success status, response model, query parameters. Request and response shapes are the Svix API v1 models (the contract Herald
implements), taken by name from scripts/openapi/svix-models.json: the models the routes use, extracted from the Svix OSS
server's published document. Run after changing a route (CI checks the result is committed):

    python3 scripts/generate-openapi.py

After adding a route whose models are not extracted yet, refresh them from the full Svix document first:

    python3 scripts/generate-openapi.py --refresh path/to/svix-openapi.json

The test `OpenAPIDocumentTests` fails when a registered route is missing here.
"""

import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "scripts", "openapi", "svix-models.json")
OUT = os.path.join(ROOT, "Sources", "HeraldAPI", "OpenAPI", "OpenAPIDocument.swift")

ORG, APP, NONE = "org token", "org or app token", "none"

# method, path, tag, summary, auth, request model, success status, response model, extra query parameters
ROUTE_SPEC = re.compile(r'RouteSpec\(\.(\w+), "([^"]+)", (\w+)\)')


def registered_routes():
    """(handler key, method, OpenAPI path) of every route the router registers, from the route collections' source."""
    routes = {}
    folder = os.path.join(ROOT, "Sources", "HeraldAPI", "Routes")
    for name in sorted(os.listdir(folder)):
        source = open(os.path.join(folder, name), encoding="utf-8").read()
        collection = re.search(r"struct (\w+Routes)", source)
        found = ROUTE_SPEC.findall(source) if collection else []
        handlers = [handler for _, _, handler in found]
        seen = {}
        for method, path, handler in found:
            # A handler serving several paths (an alias) is told apart by its place among them: `Routes.handler#2`.
            key = f"{collection.group(1)}.{handler}"
            if handlers.count(handler) > 1:
                seen[handler] = seen.get(handler, 0) + 1
                key += f"#{seen[handler]}"
            routes[key] = (method, "/api/v1/" + re.sub(r":(\w+)", r"{\1}", path))
    return routes


DOCS = {
    "HealthRoutes.health": ("Health", "Database health: 200 when it answers, 503 when it does not", NONE, None, "200", "HealthOut", []),
    "HealthRoutes.ping": ("Health", "Liveness: 204, no checks", NONE, None, "204", None, []),
    "OpenAPIRoutes.document": ("Health", "This document", NONE, None, "200", None, []),
    "ApplicationRoutes.list": ("Application", "List applications", ORG, None, "200", "ListResponse_ApplicationOut_", ["limit", "iterator", "order"]),
    "ApplicationRoutes.create": ("Application", "Create an application (200 with the existing one when get_if_exists and its uid exists)", ORG, "ApplicationIn", "201|200", "ApplicationOut", ["get_if_exists"]),
    "ApplicationRoutes.get": ("Application", "Get an application by id or uid", APP, None, "200", "ApplicationOut", []),
    "ApplicationRoutes.upsert": ("Application", "Update an application, or create it (201)", ORG, "ApplicationIn", "200|201", "ApplicationOut", []),
    "ApplicationRoutes.patch": ("Application", "Partially update an application; null clears", ORG, "ApplicationPatch", "200", "ApplicationOut", []),
    "ApplicationRoutes.delete": ("Application", "Delete an application", ORG, None, "204", None, []),
    "EndpointRoutes.list": ("Endpoint", "List endpoints", APP, None, "200", "ListResponse_EndpointOut_", ["limit", "iterator", "order"]),
    "EndpointRoutes.create": ("Endpoint", "Create an endpoint", APP, "EndpointIn", "201", "EndpointOut", []),
    "EndpointRoutes.get": ("Endpoint", "Get an endpoint by id or uid", APP, None, "200", "EndpointOut", []),
    "EndpointRoutes.upsert": ("Endpoint", "Update an endpoint, or create it (201)", APP, "EndpointUpdate", "200|201", "EndpointOut", []),
    "EndpointRoutes.patch": ("Endpoint", "Partially update an endpoint; null clears", APP, "EndpointPatch", "200", "EndpointOut", []),
    "EndpointRoutes.delete": ("Endpoint", "Delete an endpoint", APP, None, "204", None, []),
    "EndpointSecretRoutes.getSecret": ("Endpoint", "Get the endpoint's signing secret", APP, None, "200", "EndpointSecretOut", []),
    "EndpointSecretRoutes.rotateSecret": ("Endpoint", "Rotate the signing secret; the old one signs too during the grace period", APP, "EndpointSecretRotateIn", "200", "EndpointSecretOut", []),
    "EndpointSecretRoutes.getHeaders": ("Endpoint", "Get custom headers; sensitive values are named, not shown", APP, None, "200", "EndpointHeadersOut", []),
    "EndpointSecretRoutes.setHeaders": ("Endpoint", "Replace custom headers", APP, "EndpointHeadersIn", "204", None, []),
    "EndpointSecretRoutes.patchHeaders": ("Endpoint", "Merge custom headers; null or deleteHeaders removes", APP, "EndpointHeadersPatchIn", "204", None, []),
    "EndpointPolicyRoutes.getPolicy": ("Endpoint", "Herald: the endpoint's delivery policy (null fields use the server's, shown in serverDefaults)", APP, None, "200", "EndpointPolicyOut", []),
    "EndpointPolicyRoutes.setPolicy": ("Endpoint", "Herald: replace the endpoint's delivery policy; a field left out goes back to the server's", APP, "EndpointPolicyIn", "200", "EndpointPolicyOut", []),
    "EventTypeRoutes.list": ("Event Type", "List event types by name", APP, None, "200", "ListResponse_EventTypeOut_", ["limit", "iterator", "include_archived", "with_content"]),
    "EventTypeRoutes.create": ("Event Type", "Create an event type (revives an archived one)", ORG, "EventTypeIn", "201", "EventTypeOut", []),
    "EventTypeRoutes.get": ("Event Type", "Get an event type", APP, None, "200", "EventTypeOut", []),
    "EventTypeRoutes.upsert": ("Event Type", "Update an event type, or create it (201)", ORG, "EventTypeUpdate", "200|201", "EventTypeOut", []),
    "EventTypeRoutes.patch": ("Event Type", "Partially update an event type", ORG, "EventTypePatch", "200", "EventTypeOut", []),
    "EventTypeRoutes.delete": ("Event Type", "Archive an event type; expunge=true deletes it", ORG, None, "204", None, ["expunge"]),
    "MessageRoutes.list": ("Message", "List messages, newest first", APP, None, "200", "ListResponse_MessageOut_", ["limit", "iterator", "event_types", "channel", "before", "after", "with_content"]),
    "MessageRoutes.create": ("Message", "Create a message: stored durably, then fanned out; the payload is kept byte for byte", ORG, "MessageIn", "202", "MessageOut", ["with_content"]),
    "MessageRoutes.get": ("Message", "Get a message by id or eventId", APP, None, "200", "MessageOut", ["with_content"]),
    "MessageRoutes.expungeContent": ("Message", "Delete a message's payload", ORG, None, "204", None, []),
    "EndpointDeliveryRoutes.stats": ("Endpoint", "Counts of the endpoint's deliveries by state (window at most 28 days)", APP, None, "200", "EndpointStats", ["since", "until"]),
    "EndpointDeliveryRoutes.recover": ("Endpoint", "Re-queue the endpoint's failed deliveries since a time (window at most 14 days)", APP, "RecoverIn", "202", "RecoverOut", []),
    "EndpointDeliveryRoutes.sendExample": ("Endpoint", "Send the event type's first schema example to this endpoint only", ORG, "EventExampleIn", "202", "MessageOut", []),
    "AttemptRoutes.listByEndpoint": ("Message Attempt", "List an endpoint's attempts, newest first", APP, None, "200", "ListResponse_MessageAttemptOut_", ["limit", "iterator", "status", "status_code_class", "event_types", "channel", "before", "after", "with_content"]),
    "AttemptRoutes.listByMessage#1": ("Message Attempt", "List a message's attempts, newest first", APP, None, "200", "ListResponse_MessageAttemptOut_", ["limit", "iterator", "status", "status_code_class", "event_types", "channel", "endpoint_id", "before", "after", "with_content"]),
    "AttemptRoutes.listByMessage#2": ("Message Attempt", "Deprecated: list a message's attempts", APP, None, "200", "ListResponse_MessageAttemptOut_", ["limit", "iterator", "status", "endpoint_id"]),
    "AttemptRoutes.listByMessage#3": ("Message Attempt", "Deprecated: list a message's attempts to one endpoint", APP, None, "200", "ListResponse_MessageAttemptOut_", ["limit", "iterator", "status"]),
    "AttemptRoutes.listAttemptedMessages": ("Message Attempt", "List messages sent to an endpoint with their delivery status and next attempt", APP, None, "200", "ListResponse_EndpointMessageOut_", ["limit", "iterator", "status", "event_types", "channel", "before", "after", "with_content"]),
    "AttemptRoutes.listAttemptedDestinations": ("Message Attempt", "List the endpoints a message went to, with status and next attempt", APP, None, "200", "ListResponse_MessageEndpointOut_", ["limit", "iterator"]),
    "AttemptRoutes.get": ("Message Attempt", "Get an attempt", APP, None, "200", "MessageAttemptOut", []),
    "AttemptRoutes.expungeContent": ("Message Attempt", "Delete an attempt's stored response", ORG, None, "204", None, []),
    "AttemptRoutes.resend": ("Message Attempt", "One manual attempt now, never retried", APP, None, "202", "EmptyResponse", []),
    "AuthRoutes.appPortalAccess#1": ("Authentication", "Mint a 28-day app token and a portal link", ORG, "AppPortalAccessIn", "200", "AppPortalAccessOut", []),
    "AuthRoutes.appPortalAccess#2": ("Authentication", "Deprecated alias of app-portal-access", ORG, "AppPortalAccessIn", "200", "AppPortalAccessOut", []),
    "AuthRoutes.logout": ("Authentication", "End the calling token: later requests with it get 401", APP, None, "204", None, []),
    "LiveRoutes.live": ("Live", "Server-Sent Events for the live views, scoped by the token: health (at connect), message, attempt, endpoint, stats (every 2 s); resumes from Last-Event-ID", APP, None, "200", "text/event-stream", ["app_id"]),
    "PollerRoutes.poll": ("Message Poller", "Read a polling endpoint's messages (its url is poller://) in commit order, after an iterator; wait long-polls", APP, None, "200", "PollingEndpointOut", ["limit", "iterator@poller", "event_type", "channel", "after", "wait"]),
    "PollerRoutes.stream": ("Message Poller", "Server-Sent Events: each message as an event whose id is its iterator, then live; resumes from Last-Event-ID", APP, None, "200", "text/event-stream", ["iterator@poller", "consumer", "event_type", "channel"]),
    "PollerRoutes.consumerPoll": ("Message Poller", "Read on from where this consumer stopped; the server keeps its position", APP, None, "200", "PollingEndpointOut", ["limit", "iterator@poller", "wait"]),
    "SourceRoutes.list": ("Source", "Herald: list the application's inbound sources", ORG, None, "200", "ListResponse_SourceOut_", ["limit", "iterator", "order"]),
    "SourceRoutes.create": ("Source", "Herald: create an inbound source: a public ingest URL whose requests are verified by the sender's scheme and stored as messages", ORG, "SourceIn", "201", "SourceOut", []),
    "SourceRoutes.get": ("Source", "Herald: get an inbound source (its secret is never shown)", ORG, None, "200", "SourceOut", []),
    "SourceRoutes.patch": ("Source", "Herald: change an inbound source; fields left out stay, null clears uid, eventType, eventId", ORG, "SourcePatch", "200", "SourceOut", []),
    "SourceRoutes.delete": ("Source", "Herald: delete an inbound source; its ingest URL stops answering at once", ORG, None, "204", None, []),
    "SourceRoutes.rotateToken": ("Source", "Herald: a new ingest URL; the old one stops answering at once", ORG, None, "200", "SourceOut", []),
    "ApplicationSubnetRoutes.get": ("Application", "Herald: the private networks this application's endpoints may reach, and what the operator made grantable", ORG, None, "200", "AllowedSubnetsOut", []),
    "ApplicationSubnetRoutes.set": ("Application", "Herald: let this application's endpoints (only) reach these private networks, each inside HERALD_GRANTABLE_SUBNETS", ORG, "AllowedSubnetsIn", "200", "AllowedSubnetsOut", []),
    "PollerRoutes.seek": ("Message Poller", "Set the consumer's position: before the first message after a time, or (Herald) at an iterator", APP, "PollingEndpointConsumerSeekIn", "200", "PollingEndpointConsumerSeekOut", []),
}

QUERY = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 250, "default": 50},
    "iterator": {"type": "string", "description": "Continue after this key; a leading '-' pages backwards"},
    "order": {"type": "string", "enum": ["ascending", "descending"]},
    "get_if_exists": {"type": "boolean", "default": False},
    "include_archived": {"type": "boolean", "default": False},
    "with_content": {"type": "boolean"},
    "expunge": {"type": "boolean", "default": False},
    "event_types": {"type": "array", "items": {"type": "string"}, "description": "Comma-separated, repeated, or event_types[]"},
    "channel": {"type": "string"},
    "before": {"type": "string", "format": "date-time"},
    "after": {"type": "string", "format": "date-time"},
    "since": {"type": "string", "format": "date-time"},
    "until": {"type": "string", "format": "date-time"},
    "status": {"type": "integer", "enum": [0, 1, 2, 3], "description": "0 success, 1 pending, 2 fail, 3 sending"},
    "status_code_class": {"type": "integer", "enum": [0, 100, 200, 300, 400, 500]},
    "endpoint_id": {"type": "string"},
    "iterator@poller": {"type": "string", "description": "An iterator from an earlier read; omit to start at the beginning"},
    "event_type": {"type": "string"},
    "wait": {"type": "integer", "minimum": 0, "maximum": 30, "default": 0, "description": "Seconds to wait for a message when there is none yet"},
    "app_id": {"type": "string", "description": "Only this application (org tokens; an app token always sees its own)"},
    "consumer": {"type": "string", "description": "Start where this consumer stopped (its position is read, not moved)"},
}

# Path examples name objects scripts/fuzz creates first, so generated requests reach past the 404s.
PATH_EXAMPLES = {
    "app_id": "fuzz-app",
    "endpoint_id": "fuzz-endpoint",
    "msg_id": "fuzz-msg",
    "event_type_name": "fuzz.event",
    "attempt_id": "atmpt_3Mm2I7N1z9YGI5LgUGpVqoAuPDY",
    "sink_id": "fuzz-poller",
    "consumer_id": "fuzz-consumer",
    "source_id": "fuzz-source",
}

LOCAL_SCHEMAS = {
    # Herald re-queues in one transaction, so a recover task is reported finished (the SDK knows all three values).
    "BackgroundTaskStatus": {"type": "string", "enum": ["running", "finished", "failed"]},
    "PollingEndpointMessageOut": {
        "type": "object",
        "required": ["id", "eventType", "payload", "timestamp"],
        "properties": {
            "id": {"type": "string"},
            "eventType": {"type": "string"},
            "eventId": {"type": "string", "nullable": True},
            "channels": {"type": "array", "items": {"type": "string"}, "nullable": True},
            "payload": {"type": "object"},
            "timestamp": {"type": "string", "format": "date-time"},
        },
    },
    "PollingEndpointOut": {
        "type": "object",
        "required": ["data", "iterator", "done"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/PollingEndpointMessageOut"}},
            "iterator": {"type": "string"},
            "done": {"type": "boolean"},
        },
    },
    "PollingEndpointConsumerSeekIn": {
        "type": "object",
        "properties": {"after": {"type": "string", "format": "date-time"}, "iterator": {"type": "string"}},
    },
    "PollingEndpointConsumerSeekOut": {"type": "object", "required": ["iterator"], "properties": {"iterator": {"type": "string"}}},
    # Herald extensions: an endpoint's delivery policy (see README, "Delivery policy").
    "EndpointPolicyIn": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "retrySchedule": {
                "type": "array", "nullable": True, "maxItems": 20,
                "items": {"type": "number", "minimum": 0, "maximum": 2592000},
                "description": "Seconds to wait after each failed attempt; [] means no retries; null uses the server's",
            },
            "timeoutSeconds": {
                "type": "integer", "nullable": True, "minimum": 1, "maximum": 30,
                "description": "Whole-request timeout; the server's HERALD_REQUEST_TIMEOUT is the ceiling",
            },
            "filter": {
                "type": "object", "nullable": True,
                "description": "Payload filter, a MongoDB-style subset ($eq $ne $in $nin $gt $gte $lt $lte $exists $and $or $not, dotted paths); "
                "a message that does not match creates no delivery for the endpoint",
            },
            "circuitBreaker": {
                "allOf": [{"$ref": "#/components/schemas/CircuitBreakerPolicy"}], "nullable": True,
                "description": "Stop sending after failures in a row (no response, 408, 429, 5xx), probe once after the cool-down; null uses the defaults (on)",
            },
            "ordering": {
                "type": "string", "enum": ["fifo"], "nullable": True,
                "description": "fifo: one delivery at a time in message order; a failing message holds back the ones after it until it is delivered or given up",
            },
            "signInbound": {
                "type": "boolean", "nullable": True,
                "description": "Messages received from a source go with the sender's headers and signature; true adds Herald's webhook-* signature as well",
            },
        },
    },
    "CircuitBreakerPolicy": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "enabled": {"type": "boolean", "default": True},
            "failureThreshold": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10, "description": "Failed attempts in a row that open it"},
            "cooldownSeconds": {"type": "integer", "minimum": 1, "maximum": 86400, "default": 30, "description": "How long it stays open before a probe"},
        },
    },
    "EndpointPolicyOut": {
        "type": "object",
        "required": ["retrySchedule", "timeoutSeconds", "filter", "circuitBreaker", "ordering", "signInbound", "serverDefaults", "state"],
        "properties": {
            "retrySchedule": {"type": "array", "nullable": True, "items": {"type": "number"}},
            "timeoutSeconds": {"type": "integer", "nullable": True},
            "filter": {"type": "object", "nullable": True},
            "circuitBreaker": {"allOf": [{"$ref": "#/components/schemas/CircuitBreakerPolicy"}], "nullable": True},
            "ordering": {"type": "string", "enum": ["fifo"], "nullable": True},
            "signInbound": {"type": "boolean", "nullable": True},
            "serverDefaults": {
                "type": "object",
                "required": ["retrySchedule", "timeoutSeconds", "circuitBreaker"],
                "properties": {
                    "retrySchedule": {"type": "array", "items": {"type": "number"}}, "timeoutSeconds": {"type": "integer"},
                    "circuitBreaker": {"$ref": "#/components/schemas/CircuitBreakerPolicy"},
                },
            },
            "state": {
                "type": "object",
                "required": ["circuitBreaker", "pausedUntil"],
                "description": "Where the endpoint stands now",
                "properties": {
                    "circuitBreaker": {"type": "string", "enum": ["closed", "open", "probing"]},
                    "pausedUntil": {"type": "string", "format": "date-time", "nullable": True, "description": "Nothing is sent before this (a slow-down asked by the receiver, the breaker's cool-down or its probe)"},
                },
            },
        },
    },
    # Herald extensions: inbound sources (see README, "Inbound").
    "SourceVerification": {
        "type": "object",
        "required": ["type"],
        "description": "How a request proves it comes from the sender, each scheme exactly as its sender documents it. Secrets are write-only.",
        "properties": {
            "type": {"type": "string", "enum": ["standard-webhooks", "stripe", "github", "shopify", "hmac-sha256", "basic", "none"]},
            "secret": {"type": "string", "maxLength": 1024, "description": "The sender's signing secret (standard-webhooks: whsec_ or whpk_; stripe: its whsec_ text as is)"},
            "toleranceSeconds": {"type": "integer", "minimum": 1, "maximum": 86400, "default": 300, "description": "stripe: how old the signed timestamp may be"},
            "header": {"type": "string", "description": "hmac-sha256: the header holding the signature"},
            "encoding": {"type": "string", "enum": ["hex", "base64"], "default": "hex", "description": "hmac-sha256"},
            "prefix": {"type": "string", "maxLength": 64, "description": "hmac-sha256: text before the signature, such as sha256="},
            "username": {"type": "string", "description": "basic"},
            "password": {"type": "string", "description": "basic"},
        },
    },
    "SourceField": {
        "type": "object",
        "description": "Exactly one of: a dotted path into the JSON body, a request header, or a fixed value",
        "properties": {"jsonPath": {"type": "string"}, "header": {"type": "string"}, "constant": {"type": "string"}},
    },
    "SourceIn": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "verification"],
        "properties": {
            "name": {"type": "string"},
            "uid": {"type": "string", "nullable": True},
            "verification": {"$ref": "#/components/schemas/SourceVerification"},
            "eventType": {"allOf": [{"$ref": "#/components/schemas/SourceField"}], "nullable": True, "description": "Where the event type comes from; null: the sender's convention (Stripe's type, X-GitHub-Event, X-Shopify-Topic, the body's type)"},
            "eventId": {"allOf": [{"$ref": "#/components/schemas/SourceField"}], "nullable": True, "description": "Where the sender's event id comes from (dedupes its retries); null: the sender's convention"},
            "forwardHeaders": {"type": "array", "maxItems": 32, "nullable": True, "items": {"type": "string"}, "description": "Sender headers to keep and forward beyond the scheme's own (its signature, event and id headers, and user-agent); no others are passed on"},
            "rateLimit": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100, "description": "Requests per second the ingest URL accepts (bursts of twice that)"},
            "disabled": {"type": "boolean", "default": False},
            "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "SourcePatch": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "uid": {"type": "string", "nullable": True},
            "verification": {"$ref": "#/components/schemas/SourceVerification"},
            "eventType": {"allOf": [{"$ref": "#/components/schemas/SourceField"}], "nullable": True},
            "eventId": {"allOf": [{"$ref": "#/components/schemas/SourceField"}], "nullable": True},
            "forwardHeaders": {"type": "array", "maxItems": 32, "nullable": True, "items": {"type": "string"}},
            "rateLimit": {"type": "integer", "minimum": 1, "maximum": 10000},
            "disabled": {"type": "boolean"},
            "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "SourceOut": {
        "type": "object",
        "required": ["id", "uid", "name", "verification", "eventType", "eventId", "forwardHeaders", "rateLimit", "disabled", "metadata", "ingestUrl", "traffic", "createdAt", "updatedAt"],
        "properties": {
            "id": {"type": "string"},
            "uid": {"type": "string", "nullable": True},
            "name": {"type": "string"},
            "verification": {"$ref": "#/components/schemas/SourceVerification"},
            "eventType": {"allOf": [{"$ref": "#/components/schemas/SourceField"}], "nullable": True},
            "eventId": {"allOf": [{"$ref": "#/components/schemas/SourceField"}], "nullable": True},
            "forwardHeaders": {"type": "array", "items": {"type": "string"}},
            "rateLimit": {"type": "integer"},
            "disabled": {"type": "boolean"},
            "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
            "ingestUrl": {"type": "string", "format": "uri", "description": "Give this URL to the sender: POST /ingest/{token}, no other authentication"},
            "traffic": {
                "type": "object",
                "required": ["received", "accepted", "duplicates", "rejected", "lastRejection", "lastRejectedAt", "recentRejections"],
                "description": "What the ingest URL received so far (counted by each instance, stored every few seconds)",
                "properties": {
                    "received": {"type": "integer"},
                    "accepted": {"type": "integer", "description": "Stored as messages"},
                    "duplicates": {"type": "integer", "description": "The sender's retries of events already stored (answered 200, not stored again)"},
                    "rejected": {"type": "integer", "description": "Refused: signature, timestamp, size, rate"},
                    "lastRejection": {"type": "string", "nullable": True},
                    "lastRejectedAt": {"type": "string", "format": "date-time", "nullable": True},
                    "recentRejections": {
                        "type": "array",
                        "description": "The latest refusals (at most 5): when, why, the sender's user agent and declared length",
                        "items": {
                            "type": "object",
                            "required": ["at", "reason"],
                            "properties": {
                                "at": {"type": "string", "format": "date-time"},
                                "reason": {"type": "string"},
                                "userAgent": {"type": "string"},
                                "contentLength": {"type": "integer"},
                            },
                        },
                    },
                },
            },
            "createdAt": {"type": "string", "format": "date-time"},
            "updatedAt": {"type": "string", "format": "date-time"},
        },
    },
    "AllowedSubnetsIn": {
        "type": "object",
        "required": ["allowedSubnets"],
        "properties": {"allowedSubnets": {"type": "array", "maxItems": 32, "items": {"type": "string"}, "description": "CIDRs, each inside a grantable network; [] closes them all"}},
    },
    "AllowedSubnetsOut": {
        "type": "object",
        "required": ["allowedSubnets", "grantableSubnets"],
        "properties": {
            "allowedSubnets": {"type": "array", "items": {"type": "string"}},
            "grantableSubnets": {"type": "array", "items": {"type": "string"}, "description": "HERALD_GRANTABLE_SUBNETS: what an application may be granted"},
        },
    },
    "ListResponse_SourceOut_": {
        "type": "object",
        "required": ["data", "iterator", "done"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/SourceOut"}},
            "iterator": {"type": "string", "nullable": True},
            "prevIterator": {"type": "string", "nullable": True},
            "done": {"type": "boolean"},
        },
    },
    "HealthOut": {
        "type": "object",
        "required": ["database"],
        "properties": {"database": {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok", "error"]}}}},
    },
}


def referenced(schema, found):
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref:
            found.add(ref.split("/")[-1])
        for value in schema.values():
            referenced(value, found)
    elif isinstance(schema, list):
        for value in schema:
            referenced(value, found)


def used_models(svix):
    """The Svix models the routes name, with every model they reference, except those Herald defines itself."""
    models = {}
    pending = {name for doc in DOCS.values() for name in (doc[3], doc[5]) if name} | {"HttpErrorOut", "HTTPValidationError"}
    while pending:
        name = pending.pop()
        if name in models or name in LOCAL_SCHEMAS or name == "text/event-stream":
            continue
        if name not in svix:
            sys.exit(f"model {name} is not in the models read; run with --refresh path/to/svix-openapi.json")
        models[name] = svix[name]
        found = set()
        referenced(svix[name], found)
        pending |= found - set(models)
    return dict(sorted(models.items()))


# The operation ids: the names clients generated from the document give the calls (HeraldClient's among them).
OPERATION_IDS = {
    "HealthRoutes.health": "checkHealth",
    "HealthRoutes.ping": "ping",
    "OpenAPIRoutes.document": "getOpenAPIDocument",
    "ApplicationRoutes.list": "listApplications",
    "ApplicationRoutes.create": "createApplication",
    "ApplicationRoutes.get": "getApplication",
    "ApplicationRoutes.upsert": "updateApplication",
    "ApplicationRoutes.patch": "patchApplication",
    "ApplicationRoutes.delete": "deleteApplication",
    "EndpointRoutes.list": "listEndpoints",
    "EndpointRoutes.create": "createEndpoint",
    "EndpointRoutes.get": "getEndpoint",
    "EndpointRoutes.upsert": "updateEndpoint",
    "EndpointRoutes.patch": "patchEndpoint",
    "EndpointRoutes.delete": "deleteEndpoint",
    "EndpointSecretRoutes.getSecret": "getEndpointSecret",
    "EndpointSecretRoutes.rotateSecret": "rotateEndpointSecret",
    "EndpointSecretRoutes.getHeaders": "getEndpointHeaders",
    "EndpointSecretRoutes.setHeaders": "updateEndpointHeaders",
    "EndpointSecretRoutes.patchHeaders": "patchEndpointHeaders",
    "EndpointPolicyRoutes.getPolicy": "getEndpointPolicy",
    "EndpointPolicyRoutes.setPolicy": "updateEndpointPolicy",
    "EventTypeRoutes.list": "listEventTypes",
    "EventTypeRoutes.create": "createEventType",
    "EventTypeRoutes.get": "getEventType",
    "EventTypeRoutes.upsert": "updateEventType",
    "EventTypeRoutes.patch": "patchEventType",
    "EventTypeRoutes.delete": "deleteEventType",
    "MessageRoutes.list": "listMessages",
    "MessageRoutes.create": "createMessage",
    "MessageRoutes.get": "getMessage",
    "MessageRoutes.expungeContent": "expungeMessageContent",
    "EndpointDeliveryRoutes.stats": "getEndpointStats",
    "EndpointDeliveryRoutes.recover": "recoverEndpoint",
    "EndpointDeliveryRoutes.sendExample": "sendExampleMessage",
    "AttemptRoutes.listByEndpoint": "listAttemptsByEndpoint",
    "AttemptRoutes.listByMessage#1": "listAttemptsByMessage",
    "AttemptRoutes.listByMessage#2": "listAttemptsOfMessage",
    "AttemptRoutes.listByMessage#3": "listAttemptsOfMessageAtEndpoint",
    "AttemptRoutes.listAttemptedMessages": "listAttemptedMessages",
    "AttemptRoutes.listAttemptedDestinations": "listAttemptedDestinations",
    "AttemptRoutes.get": "getAttempt",
    "AttemptRoutes.expungeContent": "expungeAttemptContent",
    "AttemptRoutes.resend": "resendMessage",
    "AuthRoutes.appPortalAccess#1": "getAppPortalAccess",
    "AuthRoutes.appPortalAccess#2": "getDashboardAccess",
    "AuthRoutes.logout": "logout",
    "LiveRoutes.live": "followLive",
    "PollerRoutes.poll": "pollMessages",
    "PollerRoutes.stream": "streamMessages",
    "PollerRoutes.consumerPoll": "pollMessagesAsConsumer",
    "PollerRoutes.seek": "seekConsumer",
    "ApplicationSubnetRoutes.get": "getAllowedSubnets",
    "ApplicationSubnetRoutes.set": "updateAllowedSubnets",
    "SourceRoutes.list": "listSources",
    "SourceRoutes.create": "createSource",
    "SourceRoutes.get": "getSource",
    "SourceRoutes.patch": "patchSource",
    "SourceRoutes.delete": "deleteSource",
    "SourceRoutes.rotateToken": "rotateSourceToken",
}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--refresh":
        models = used_models(json.load(open(sys.argv[2]))["components"]["schemas"])
        os.makedirs(os.path.dirname(MODELS), exist_ok=True)
        with open(MODELS, "w") as out:
            json.dump(models, out, indent=1, sort_keys=True)
            out.write("\n")
    elif len(sys.argv) != 1:
        sys.exit("usage: generate-openapi.py [--refresh path/to/svix-openapi.json]")
    schemas = dict(LOCAL_SCHEMAS)
    schemas.update(used_models(json.load(open(MODELS))))
    paths = {}
    routes = registered_routes()
    if set(routes) != set(DOCS) or set(DOCS) != set(OPERATION_IDS):
        sys.exit(f"routes without DOCS: {sorted(set(routes) - set(DOCS))}; DOCS without a route: {sorted(set(DOCS) - set(routes))}; OPERATION_IDS differing: {sorted(set(DOCS) ^ set(OPERATION_IDS))}")
    for key, (tag, summary, auth, request, status, response, query) in DOCS.items():
        method, path = routes[key]
        operation = {"operationId": OPERATION_IDS[key], "tags": [tag], "summary": summary, "description": f"Authentication: {auth}."}
        if auth != NONE:
            operation["security"] = [{"HTTPBearer": []}]
        else:
            operation["security"] = []
        parameters = [
            {"name": segment[1:-1], "in": "path", "required": True, "schema": {"type": "string"}, "example": PATH_EXAMPLES[segment[1:-1]]}
            for segment in path.split("/") if segment.startswith("{")
        ]
        parameters += [{"name": name.split("@")[0], "in": "query", "required": False, "schema": QUERY[name]} for name in query]
        if method == "post":
            parameters.append({"name": "idempotency-key", "in": "header", "required": False, "schema": {"type": "string"}})
        if parameters:
            operation["parameters"] = parameters
        if request:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{request}"}}}}
        success = {"description": "success"}
        if response == "text/event-stream":
            success["content"] = {response: {"schema": {"type": "string"}}}
        elif response:
            success["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{response}"}}}
        # 422 before the 4XX range: generated clients (swift-openapi-generator's) match responses in this order.
        operation["responses"] = {
            **{code: success for code in status.split("|")},
            "422": {"description": "validation error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}},
            "4XX": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HttpErrorOut"}}}},
        }
        paths.setdefault(path, {})[method] = operation
    document = {
        "openapi": "3.0.3",
        "info": {
            "title": "Herald",
            "version": "1.0.0",
            "description": "Herald's webhook API, compatible with the Svix API v1: the official svix SDKs work unchanged.",
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
    text = json.dumps(document, indent=1, ensure_ascii=True)
    assert '"""#' not in text
    with open(OUT, "w") as out:
        out.write("// swift-format-ignore-file\n// Generated by scripts/generate-openapi.py; edit the script, not this file.\n\n")
        out.write("/// Herald's OpenAPI document, served at `/api/v1/openapi.json`.\n")
        out.write("enum OpenAPIDocument {\n    static let json = #\"\"\"\n")
        out.write(text)
        out.write("\n\"\"\"#\n}\n")


if __name__ == "__main__":
    main()
