import { startLocalServer } from './src/server/index.js';
const server = await startLocalServer({ port: 0 });
server.on('request', (i) => console.error('REQ', JSON.stringify(i)));
console.log(server.url);
setTimeout(() => { console.error(JSON.stringify(server.instances())); process.exit(0); }, 4000);
