// The embedded access client (package subpath `subscription-lifecycle-engine/access-client`):
// see docs/access-client.md.
export { createAccessClient, AccessClientError } from './client';
export type { AccessClient, AccessClientOptions, AccessClientStats, AccessClientStatus, ConnectionState } from './client';
export { decideLocally, isStale, policyAnswer, EMPTY_SNAPSHOT, STALE_REASON } from './policy';
export type { ClientAnswer, ClientReason, ClientState, LocalDecision, StalePolicy } from './policy';
export { SseParser } from './sse';
export type { SseEvent } from './sse';
export type { AccessEnvironment, AccessReason } from '../domain/access';
export type { AccessSnapshot } from '../domain/access-query';
