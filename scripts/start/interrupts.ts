// What `npm start` does with SIGINT and SIGTERM. A terminal's Ctrl-C signals
// the whole foreground process group, and npm (like other wrappers) forwards
// the signal to its child as well, so one keypress arrives here two or three
// times within milliseconds. Copies inside the echo window are that same
// keypress; only a signal that comes later is a second request, which kills
// everything at once instead of waiting for the drain.

export type InterruptAction = 'drain' | 'ignore' | 'kill';

/** Long enough for npm's forwarded copy on a busy machine, short enough to feel immediate to a person. */
export const ECHO_WINDOW_MS = 1_000;

/** Decides each signal's action from the time it arrived (a monotonic clock, in ms). */
export function createInterruptPolicy(echoWindowMs = ECHO_WINDOW_MS): (nowMs: number) => InterruptAction {
  let firstAt: number | undefined;
  return (nowMs) => {
    if (firstAt === undefined) {
      firstAt = nowMs;
      return 'drain';
    }
    return nowMs - firstAt < echoWindowMs ? 'ignore' : 'kill';
  };
}
