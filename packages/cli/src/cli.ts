/** The `mailroom` executable: Ctrl-C stops a running command (tail) cleanly; a second one exits at once. */
import { main } from './main.js';

const interrupted = new AbortController();
process.on('SIGINT', () => {
  if (interrupted.signal.aborted) process.exit(130);
  interrupted.abort();
});

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }, interrupted.signal);
