// Connection options for Temporal, built once from the validated config and
// used by both processes: the API's Client Connection and the worker's
// NativeConnection take the same address, TLS and API key settings. Local
// dev server: plain address. Temporal Cloud: TLS with an API key, or mTLS
// with a client certificate and key read from files.
import { readFileSync } from 'node:fs';
import type { Config } from '../config';

export type TemporalConnectionConfig = Pick<
  Config,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_API_KEY' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CERT_PATH' | 'TEMPORAL_TLS_KEY_PATH' | 'TEMPORAL_TLS_SERVER_NAME'
>;

export interface TemporalTlsOptions {
  serverNameOverride?: string;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

/** Assignable to both ConnectionOptions (@temporalio/client) and NativeConnectionOptions (@temporalio/worker). */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TemporalTlsOptions;
  apiKey?: string;
}

export function temporalConnectionOptions(config: TemporalConnectionConfig): TemporalConnectionOptions {
  const options: TemporalConnectionOptions = { address: config.TEMPORAL_ADDRESS };
  if (config.TEMPORAL_API_KEY !== undefined) options.apiKey = config.TEMPORAL_API_KEY;
  if (config.TEMPORAL_TLS) {
    const tls: TemporalTlsOptions = {};
    if (config.TEMPORAL_TLS_SERVER_NAME !== undefined) tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
    if (config.TEMPORAL_TLS_CERT_PATH !== undefined && config.TEMPORAL_TLS_KEY_PATH !== undefined) {
      tls.clientCertPair = { crt: readFileSync(config.TEMPORAL_TLS_CERT_PATH), key: readFileSync(config.TEMPORAL_TLS_KEY_PATH) };
    }
    options.tls = tls;
  }
  return options;
}

/** What to log about the connection: never the key or the certificate. */
export function describeTemporalConnection(config: TemporalConnectionConfig): Record<string, unknown> {
  return {
    address: config.TEMPORAL_ADDRESS,
    tls: config.TEMPORAL_TLS,
    auth: config.TEMPORAL_API_KEY !== undefined ? 'api-key' : config.TEMPORAL_TLS_CERT_PATH !== undefined ? 'mtls' : 'none',
  };
}
