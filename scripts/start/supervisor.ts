// Keeps `npm start`'s children together: stops them in reverse start order,
// and brings everything down when one of them dies on its own.
import type { ManagedProcess } from '../lib/dev-servers';

/** How long a child gets to stop after SIGTERM before SIGKILL, unless `add` says otherwise. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export class Supervisor {
  private readonly children: { process: ManagedProcess; stopTimeoutMs: number }[] = [];
  private stopping: Promise<void> | undefined;

  /** @param onUnexpectedExit called once when a child exits while we are not stopping. */
  constructor(
    private readonly log: (message: string) => void,
    private readonly onUnexpectedExit: (child: ManagedProcess, description: string) => void,
  ) {}

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** @param stopTimeoutMs longer than the child's own drain, so a clean stop is never cut short. */
  add(child: ManagedProcess, stopTimeoutMs = DEFAULT_STOP_TIMEOUT_MS): void {
    this.children.push({ process: child, stopTimeoutMs });
    void child.exited.then(({ code, signal }) => {
      if (this.isStopping) return;
      this.onUnexpectedExit(child, signal ? `was killed by ${signal}` : `exited with code ${code}`);
    });
  }

  /** SIGTERM each child, newest first, waiting for it (up to its stop timeout, then SIGKILL) before the next. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { process: child, stopTimeoutMs } of [...this.children].reverse()) {
        if (!child.isRunning()) continue;
        this.log(`stopping ${child.name} (pid ${child.pid})`);
        const { code, signal } = await child.stop(stopTimeoutMs);
        this.log(`${child.name} stopped (${signal ? signal : `exit code ${code}`})`);
      }
    })();
    return this.stopping;
  }

  /** A second, later Ctrl-C: no more waiting. */
  killAll(): void {
    for (const { process: child } of this.children) child.kill();
  }
}
