// The part of autocannon's programmatic API that scripts/bench-access.ts uses
// (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    headers?: Record<string, string>;
  }

  interface AutocannonResult {
    duration: number;
    requests: { average: number; total: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  }

  /** Emits 'response' (client, statusCode, bytes, responseTimeMs) for every response. */
  function autocannon(options: AutocannonOptions, done: (err: Error | null, result: AutocannonResult) => void): EventEmitter;
  export = autocannon;
}
