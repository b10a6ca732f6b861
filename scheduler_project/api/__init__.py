"""The shared base of the REST API (NetBox style): every app's `api/` package declares its
serializers, viewsets and routes on top of what is here: authentication (API keys, JWT,
sessions), the role permission, the error body, pagination, throttling, audit of every
mutating request, the OpenAPI schema, and the system endpoints."""
