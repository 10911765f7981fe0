import { startLocalServer } from './src/server/index.js';
const server = await startLocalServer({ port: 0 });
console.log(server.url);
