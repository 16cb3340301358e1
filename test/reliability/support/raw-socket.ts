import { connect, type Socket } from "node:net";

export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves when the server closes the socket (or after `maxMs`), with what it answered. */
export function whenClosed(
  socket: Socket,
  maxMs: number,
): Promise<{ closed: boolean; ms: number; answer: string }> {
  const started = Date.now();
  let answer = "";
  socket.on("data", (chunk: Buffer) => {
    answer += chunk.toString("latin1");
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve({ closed: false, ms: Date.now() - started, answer });
      socket.destroy();
    }, maxMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve({ closed: true, ms: Date.now() - started, answer });
    });
    socket.on("error", () => undefined);
  });
}
