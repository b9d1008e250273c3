/**
 * The serial transport on real pseudo-terminals (serialport opens /dev/pts/N as it opens a UART):
 * bytes both ways, the errors of opening (no such port, busy), a line whose other end goes away,
 * and a Hello to something that never answers. The pseudo-terminal comes from a few lines of
 * Python (pty.openpty), so no firmware is needed here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import test from 'ava';
import { SerialTransport } from '../../firmware-bridge/host/transport.js';
import { Board } from '../../firmware-bridge/host/board.js';
import {
  NoHandshakeError,
  NoSuchPortError,
  PortBusyError,
  BoardResetError,
} from '../../firmware-bridge/host/errors.js';

// The interpreter itself, not a version manager's shim: killing a shim would leave Python
// holding the pseudo-terminal open.
const PYTHON = ['python3', 'python']
  .map((p) => spawnSync(p, ['-c', 'import pty, sys; print(sys.executable)'], { encoding: 'utf8' }))
  .find((r) => r.status === 0)
  ?.stdout.trim();

// mode 'echo' writes back what it reads; 'silent' reads and drops.
const PTY_SCRIPT = `
import os, pty, sys, tty, select
m, s = pty.openpty()
tty.setraw(s)
print(os.ttyname(s), flush=True)
while True:
    select.select([m], [], [])
    data = os.read(m, 4096)
    if sys.argv[1] == 'echo':
        os.write(m, data)
`;

async function openPty(mode: 'echo' | 'silent'): Promise<{ path: string; child: ChildProcess }> {
  const child = spawn(PYTHON!, ['-c', PTY_SCRIPT, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const path = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.trim());
    });
    child.once('exit', () => reject(new Error('pty helper exited')));
  });
  return { path, child };
}

const withPty = PYTHON ? test.serial : test.skip;
if (!PYTHON) console.log('transport.test: no python3 with the pty module; the pseudo-terminal tests are skipped');

test('a path that does not exist is NoSuchPortError, suggesting `autosnn devices`', async (t) => {
  const error = await t.throwsAsync(SerialTransport.open('/dev/ttyNOPE99', 115200), { instanceOf: NoSuchPortError });
  t.regex(error!.message, /\/dev\/ttyNOPE99.*autosnn devices/);
});

withPty('bytes go both ways over a pseudo-terminal; a second open is PortBusyError', async (t) => {
  const { path, child } = await openPty('echo');
  try {
    const transport = await SerialTransport.open(path, 115200);
    const received: number[] = [];
    const got = new Promise<void>((resolve) =>
      transport.onData((bytes) => {
        received.push(...bytes);
        if (received.length >= 5000) resolve();
      }),
    );
    const sent = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    await transport.write(sent);
    await got;
    t.deepEqual(Uint8Array.from(received), sent);
    const busy = await t.throwsAsync(SerialTransport.open(path, 115200), { instanceOf: PortBusyError });
    t.regex(busy!.message, new RegExp(path));
    await transport.close();
  } finally {
    child.kill();
  }
});

withPty('the far end going away closes the transport at once (onClose, unexpected)', async (t) => {
  const { path, child } = await openPty('echo');
  const transport = await SerialTransport.open(path, 115200);
  const closed = new Promise<{ reason: string; unexpected: boolean }>((resolve) =>
    transport.onClose((reason, unexpected) => resolve({ reason, unexpected })),
  );
  const started = performance.now();
  child.kill('SIGKILL');
  const result = await Promise.race([closed, new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
  t.truthy(result, 'closed within 3 s');
  t.true(result!.unexpected);
  t.log(`closed after ${Math.round(performance.now() - started)} ms: ${result!.reason}`);
  await t.throwsAsync(transport.write(Uint8Array.of(1)), { instanceOf: BoardResetError });
});

withPty('a port that never answers Hello is NoHandshakeError naming the path and the baud rate', async (t) => {
  const { path, child } = await openPty('silent');
  try {
    const started = performance.now();
    const error = await t.throwsAsync(Board.connect(path, { baudRate: 9600, helloAttempts: 3, helloTimeoutMs: 50 }), {
      instanceOf: NoHandshakeError,
    });
    t.regex(error!.message, new RegExp(`${path} at 9600 baud.*not our firmware or wrong baud rate`));
    t.true(performance.now() - started < 2000);
    // The port is free again afterwards.
    const again = await SerialTransport.open(path, 115200);
    await again.close();
  } finally {
    child.kill();
  }
});
