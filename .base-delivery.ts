import { PrefactorHttpClient } from './src/http/client.js';
import { createDeliverySink } from './src/delivery/index.js';
console.log('baseline rss', Math.round(process.memoryUsage().rss/1e6), typeof PrefactorHttpClient, typeof createDeliverySink);
