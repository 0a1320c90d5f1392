// Keeps `npm start`'s children together: stops them in reverse start order,
// and brings everything down when one of them dies on its own.
import type { ManagedProcess } from '../../src/infra/dev-servers';

export class Supervisor {
  private readonly children: ManagedProcess[] = [];
  private stopping: Promise<void> | undefined;

  /** @param onUnexpectedExit called once when a child exits while we are not stopping. */
  constructor(
    private readonly log: (message: string) => void,
    private readonly onUnexpectedExit: (child: ManagedProcess, description: string) => void,
  ) {}

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  add(child: ManagedProcess): void {
    this.children.push(child);
    void child.exited.then(({ code, signal }) => {
      if (this.isStopping) return;
      this.onUnexpectedExit(child, signal ? `was killed by ${signal}` : `exited with code ${code}`);
    });
  }

  /** SIGTERM each child, newest first, waiting up to `timeoutMs` before SIGKILL. */
  stopAll(timeoutMs = 10_000): Promise<void> {
    this.stopping ??= (async () => {
      for (const child of [...this.children].reverse()) {
        if (!child.isRunning()) continue;
        this.log(`stopping ${child.name} (pid ${child.pid})`);
        const { code, signal } = await child.stop(timeoutMs);
        this.log(`${child.name} stopped (${signal ? signal : `exit code ${code}`})`);
      }
    })();
    return this.stopping;
  }

  /** Second Ctrl-C: no more waiting. */
  killAll(): void {
    for (const child of this.children) child.kill();
  }
}
