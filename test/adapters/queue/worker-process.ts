// A worker in its own process, for the test that kills one mid-job: it works the queue named on
// the command line and prints "started <id>" when a job begins, then never finishes it.
import { BullmqJobQueue } from '../../../adapters/queue/bullmq.ts';

const [url, prefix, name] = process.argv.slice(2);
const queue = await BullmqJobQueue.open({ url: url!, prefix, name, lockDurationMs: 1000, stalledIntervalMs: 500 });
queue.work(async (job) => {
  console.log(`started ${job.id}`);
  return new Promise(() => {});
});
console.log('ready');
