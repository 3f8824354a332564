"""How requests reach the service: the NATS router, the HTTP app, the command line."""
