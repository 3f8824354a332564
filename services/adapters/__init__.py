"""What talks to the world: JetStream, PostgreSQL, the embedded servers, files, the clock."""
