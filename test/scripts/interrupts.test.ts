// npm start's answer to SIGINT/SIGTERM (scripts/start/interrupts.ts): the
// first drains, copies of the same Ctrl-C (npm forwards it again within
// milliseconds) are ignored, a later one kills at once.
import { createInterruptPolicy, ECHO_WINDOW_MS } from '../../scripts/start/interrupts';

test('one Ctrl-C and its echoes drain; a second one later kills', () => {
  const decide = createInterruptPolicy();
  expect(decide(10_000)).toBe('drain');
  expect(decide(10_009)).toBe('ignore'); // npm's forwarded copy, 9 ms later (measured)
  expect(decide(10_000 + ECHO_WINDOW_MS - 1)).toBe('ignore');
  expect(decide(10_000 + ECHO_WINDOW_MS)).toBe('kill');
  expect(decide(60_000)).toBe('kill');
});

test('the echo window is measured from the first signal, so repeated presses cannot postpone the kill', () => {
  const decide = createInterruptPolicy(500);
  expect(decide(0)).toBe('drain');
  expect(decide(400)).toBe('ignore');
  expect(decide(800)).toBe('kill');
});
