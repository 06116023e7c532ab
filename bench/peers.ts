/**
 * The monitor's peers (fauxqs for SNS/SQS, dynalite for the state table, ...) in a process of their
 * own, so that the handler's RSS is the handler's alone. Prints the SDK environment as one JSON line,
 * then serves until its stdin closes.
 *
 *   node --import tsx bench/peers.ts
 */
import { startLocalAws } from '../cli/peers/local-aws.js';

const local = await startLocalAws();
process.stdout.write(`${JSON.stringify(local.env)}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void local.stop().then(() => process.exit(0));
});
