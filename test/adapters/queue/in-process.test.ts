// The embedded queue against the JobQueue conformance suite.
import { InProcessJobQueue } from '../../../adapters/queue/in-process.ts';
import { queueConformance, type Data, type Result } from './conformance.ts';

queueConformance('in-process', async (settings) => {
  const queue = new InProcessJobQueue<Data, Result>(settings);
  return { producer: queue, consumer: queue, cleanup: () => queue.close() };
});
