#!/usr/bin/env python3
"""Writes Herald's OpenAPI document into Sources/HeraldAPI/OpenAPI/OpenAPIDocument.swift.

Herald's routes are listed below; request and response shapes are the Svix API v1 models (the contract Herald
implements), taken by name from scripts/openapi/svix-models.json: the models the routes use, extracted from the Svix OSS
server's published document. Run after changing a route (CI checks the result is committed):

    python3 scripts/generate-openapi.py

After adding a route whose models are not extracted yet, refresh them from the full Svix document first:

    python3 scripts/generate-openapi.py --refresh path/to/svix-openapi.json

The test `OpenAPIDocumentTests` fails when a registered route is missing here.
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "scripts", "openapi", "svix-models.json")
OUT = os.path.join(ROOT, "Sources", "HeraldAPI", "OpenAPI", "OpenAPIDocument.swift")

ORG, APP, NONE = "org token", "org or app token", "none"

# method, path, tag, summary, auth, request model, success status, response model, extra query parameters
ROUTES = [
    ("get", "/api/v1/health", "Health", "Database health: 200 when it answers, 503 when it does not", NONE, None, "200", "HealthOut", []),
    ("get", "/api/v1/health/ping", "Health", "Liveness: 204, no checks", NONE, None, "204", None, []),
    ("get", "/api/v1/openapi.json", "Health", "This document", NONE, None, "200", None, []),
    ("get", "/api/v1/app", "Application", "List applications", ORG, None, "200", "ListResponse_ApplicationOut_", ["limit", "iterator", "order"]),
    ("post", "/api/v1/app", "Application", "Create an application (200 with the existing one when get_if_exists and its uid exists)", ORG, "ApplicationIn", "201|200", "ApplicationOut", ["get_if_exists"]),
    ("get", "/api/v1/app/{app_id}", "Application", "Get an application by id or uid", APP, None, "200", "ApplicationOut", []),
    ("put", "/api/v1/app/{app_id}", "Application", "Update an application, or create it (201)", ORG, "ApplicationIn", "200|201", "ApplicationOut", []),
    ("patch", "/api/v1/app/{app_id}", "Application", "Partially update an application; null clears", ORG, "ApplicationPatch", "200", "ApplicationOut", []),
    ("delete", "/api/v1/app/{app_id}", "Application", "Delete an application", ORG, None, "204", None, []),
    ("get", "/api/v1/app/{app_id}/endpoint", "Endpoint", "List endpoints", APP, None, "200", "ListResponse_EndpointOut_", ["limit", "iterator", "order"]),
    ("post", "/api/v1/app/{app_id}/endpoint", "Endpoint", "Create an endpoint", APP, "EndpointIn", "201", "EndpointOut", []),
    ("get", "/api/v1/app/{app_id}/endpoint/{endpoint_id}", "Endpoint", "Get an endpoint by id or uid", APP, None, "200", "EndpointOut", []),
    ("put", "/api/v1/app/{app_id}/endpoint/{endpoint_id}", "Endpoint", "Update an endpoint, or create it (201)", APP, "EndpointUpdate", "200|201", "EndpointOut", []),
    ("patch", "/api/v1/app/{app_id}/endpoint/{endpoint_id}", "Endpoint", "Partially update an endpoint; null clears", APP, "EndpointPatch", "200", "EndpointOut", []),
    ("delete", "/api/v1/app/{app_id}/endpoint/{endpoint_id}", "Endpoint", "Delete an endpoint", APP, None, "204", None, []),
    ("get", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret", "Endpoint", "Get the endpoint's signing secret", APP, None, "200", "EndpointSecretOut", []),
    ("post", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate", "Endpoint", "Rotate the signing secret; the old one signs too during the grace period", APP, "EndpointSecretRotateIn", "200", "EndpointSecretOut", []),
    ("get", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers", "Endpoint", "Get custom headers; sensitive values are named, not shown", APP, None, "200", "EndpointHeadersOut", []),
    ("put", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers", "Endpoint", "Replace custom headers", APP, "EndpointHeadersIn", "204", None, []),
    ("patch", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers", "Endpoint", "Merge custom headers; null or deleteHeaders removes", APP, "EndpointHeadersPatchIn", "204", None, []),
    ("get", "/api/v1/event-type", "Event Type", "List event types by name", APP, None, "200", "ListResponse_EventTypeOut_", ["limit", "iterator", "include_archived", "with_content"]),
    ("post", "/api/v1/event-type", "Event Type", "Create an event type (revives an archived one)", ORG, "EventTypeIn", "201", "EventTypeOut", []),
    ("get", "/api/v1/event-type/{event_type_name}", "Event Type", "Get an event type", APP, None, "200", "EventTypeOut", []),
    ("put", "/api/v1/event-type/{event_type_name}", "Event Type", "Update an event type, or create it (201)", ORG, "EventTypeUpdate", "200|201", "EventTypeOut", []),
    ("patch", "/api/v1/event-type/{event_type_name}", "Event Type", "Partially update an event type", ORG, "EventTypePatch", "200", "EventTypeOut", []),
    ("delete", "/api/v1/event-type/{event_type_name}", "Event Type", "Archive an event type; expunge=true deletes it", ORG, None, "204", None, ["expunge"]),
    ("get", "/api/v1/app/{app_id}/msg", "Message", "List messages, newest first", APP, None, "200", "ListResponse_MessageOut_", ["limit", "iterator", "event_types", "channel", "before", "after", "with_content"]),
    ("post", "/api/v1/app/{app_id}/msg", "Message", "Create a message: stored durably, then fanned out; the payload is kept byte for byte", ORG, "MessageIn", "202", "MessageOut", ["with_content"]),
    ("get", "/api/v1/app/{app_id}/msg/{msg_id}", "Message", "Get a message by id or eventId", APP, None, "200", "MessageOut", ["with_content"]),
    ("delete", "/api/v1/app/{app_id}/msg/{msg_id}/content", "Message", "Delete a message's payload", ORG, None, "204", None, []),
    ("get", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats", "Endpoint", "Counts of the endpoint's deliveries by state (window at most 28 days)", APP, None, "200", "EndpointStats", ["since", "until"]),
    ("post", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover", "Endpoint", "Re-queue the endpoint's failed deliveries since a time (window at most 14 days)", APP, "RecoverIn", "202", "RecoverOut", []),
    ("post", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example", "Endpoint", "Send the event type's first schema example to this endpoint only", ORG, "EventExampleIn", "202", "MessageOut", []),
    ("get", "/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}", "Message Attempt", "List an endpoint's attempts, newest first", APP, None, "200", "ListResponse_MessageAttemptOut_", ["limit", "iterator", "status", "status_code_class", "event_types", "channel", "before", "after", "with_content"]),
    ("get", "/api/v1/app/{app_id}/attempt/msg/{msg_id}", "Message Attempt", "List a message's attempts, newest first", APP, None, "200", "ListResponse_MessageAttemptOut_", ["limit", "iterator", "status", "status_code_class", "event_types", "channel", "endpoint_id", "before", "after", "with_content"]),
    ("get", "/api/v1/app/{app_id}/msg/{msg_id}/attempt", "Message Attempt", "Deprecated: list a message's attempts", APP, None, "200", "ListResponse_MessageAttemptOut_", ["limit", "iterator", "status", "endpoint_id"]),
    ("get", "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/attempt", "Message Attempt", "Deprecated: list a message's attempts to one endpoint", APP, None, "200", "ListResponse_MessageAttemptOut_", ["limit", "iterator", "status"]),
    ("get", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/msg", "Message Attempt", "List messages sent to an endpoint with their delivery status and next attempt", APP, None, "200", "ListResponse_EndpointMessageOut_", ["limit", "iterator", "status", "event_types", "channel", "before", "after", "with_content"]),
    ("get", "/api/v1/app/{app_id}/msg/{msg_id}/endpoint", "Message Attempt", "List the endpoints a message went to, with status and next attempt", APP, None, "200", "ListResponse_MessageEndpointOut_", ["limit", "iterator"]),
    ("get", "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}", "Message Attempt", "Get an attempt", APP, None, "200", "MessageAttemptOut", []),
    ("delete", "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content", "Message Attempt", "Delete an attempt's stored response", ORG, None, "204", None, []),
    ("post", "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend", "Message Attempt", "One manual attempt now, never retried", APP, None, "202", "EmptyResponse", []),
    ("post", "/api/v1/auth/app-portal-access/{app_id}", "Authentication", "Mint a 28-day app token and a portal link", ORG, "AppPortalAccessIn", "200", "AppPortalAccessOut", []),
    ("post", "/api/v1/auth/dashboard-access/{app_id}", "Authentication", "Deprecated alias of app-portal-access", ORG, "AppPortalAccessIn", "200", "AppPortalAccessOut", []),
    ("post", "/api/v1/auth/logout", "Authentication", "End the calling token: later requests with it get 401", APP, None, "204", None, []),
    ("get", "/api/v1/live", "Live", "Server-Sent Events for the live views, scoped by the token: health (at connect), message, attempt, endpoint, stats (every 2 s); resumes from Last-Event-ID", APP, None, "200", "text/event-stream", ["app_id"]),
    ("get", "/api/v1/app/{app_id}/poller/{sink_id}", "Message Poller", "Read a polling endpoint's messages (its url is poller://) in commit order, after an iterator; wait long-polls", APP, None, "200", "PollingEndpointOut", ["limit", "iterator@poller", "event_type", "channel", "after", "wait"]),
    ("get", "/api/v1/app/{app_id}/poller/{sink_id}/stream", "Message Poller", "Server-Sent Events: each message as an event whose id is its iterator, then live; resumes from Last-Event-ID", APP, None, "200", "text/event-stream", ["iterator@poller", "consumer", "event_type", "channel"]),
    ("get", "/api/v1/app/{app_id}/poller/{sink_id}/consumer/{consumer_id}", "Message Poller", "Read on from where this consumer stopped; the server keeps its position", APP, None, "200", "PollingEndpointOut", ["limit", "iterator@poller", "wait"]),
    ("post", "/api/v1/app/{app_id}/poller/{sink_id}/consumer/{consumer_id}/seek", "Message Poller", "Set the consumer's position: before the first message after a time, or (Herald) at an iterator", APP, "PollingEndpointConsumerSeekIn", "200", "PollingEndpointConsumerSeekOut", []),
]

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
    pending = {name for route in ROUTES for name in (route[5], route[7]) if name} | {"HttpErrorOut", "HTTPValidationError"}
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
    for method, path, tag, summary, auth, request, status, response, query in ROUTES:
        operation = {"tags": [tag], "summary": summary, "description": f"Authentication: {auth}."}
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
        operation["responses"] = {
            **{code: success for code in status.split("|")},
            "4XX": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HttpErrorOut"}}}},
            "422": {"description": "validation error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}},
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
