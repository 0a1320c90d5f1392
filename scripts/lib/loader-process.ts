// The bench scripts run their load from a separate process (so the load and
// the measured server do not share an event loop): node + tsx on a loader
// script, whose last line of standard output is its result as JSON.
import { spawn } from 'node:child_process';
import { projectRoot } from './binaries';

export interface LoaderProcessOptions {
  /** Stopped (SIGKILL) after this long; no bound when absent. */
  timeoutMs?: number;
  /** 'capture' keeps the loader's standard error for the failure message; 'inherit' shows it as it runs. */
  stderr?: 'capture' | 'inherit';
}

export function runLoaderProcess<T>(script: string, arg: string, { timeoutMs, stderr = 'capture' }: LoaderProcessOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, arg], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', stderr === 'capture' ? 'pipe' : 'inherit'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const guard = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      if (code !== 0) return reject(new Error(`the loader exited with ${code}${err ? `: ${err.trim()}` : ''}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T);
      } catch (e) {
        reject(new Error(`the loader printed no result: ${String(e)}\n${out}${err ? `\n${err}` : ''}`));
      }
    });
  });
}
