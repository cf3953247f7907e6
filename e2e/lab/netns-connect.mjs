// Run inside a lab namespace by lab.ts (`ip netns exec tcl-a node netns-connect.mjs PORT`): joins
// its stdin and stdout to a TCP connection to the namespace's own 127.0.0.1:PORT, so that a
// process outside the namespace can talk to a browser's WebDriver BiDi port inside it.
import { connect } from 'node:net';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`netns-connect.mjs: expected a TCP port, got ${process.argv[2]}`);
  process.exit(2);
}
const socket = connect({ host: '127.0.0.1', port });
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('error', (err) => {
  console.error(`netns-connect.mjs: ${err.message}`);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
process.stdin.on('end', () => socket.end());
