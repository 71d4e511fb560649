// Local provider servers for tests (see provider-server.ts), plus a TLS server with a self-signed
// certificate for transport-failure tests.
export * from './provider-server.js';
export * from './tls-server.js';
