/**
 * The monitor's peers (fauxqs for SNS/SQS, dynalite for the state table, ...) in a process of their
 * own, so that the handler's RSS is the handler's alone. Prints the SDK environment as one JSON line,
 * serves until its stdin closes, then prints the AWS requests the peers received meanwhile (per
 * service and operation) as a second line.
 *
 *   node --import tsx bench/peers.ts
 */
import { startLocalAws } from '../cli/peers/local-aws.js';

const local = await startLocalAws();
const before = local.awsRequests.snapshot();
process.stdout.write(`${JSON.stringify(local.env)}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  process.stdout.write(`${JSON.stringify(local.awsRequests.since(before))}\n`);
  void local.stop().then(() => process.exit(0));
});
