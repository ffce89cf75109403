// The local mirror lab: trees, rsync daemons and faulty servers on 127.0.0.1, cleaned up by dispose().
export { createLab, useLab, livePids, type Lab } from './lab.js';
export { makeTree, treeDigest, setTreeMtime, treeFilePaths, fileContent, type TreeSpec } from './tree.js';
export { writeTrace, formatTrace, formatDateCommand, type TraceFormat } from './trace.js';
export { startDaemon, type Daemon, type DaemonOptions } from './daemon.js';
export { startStallServer, type StallServer } from './stall-server.js';
export { startFileServer, type FileServer, type FileServerOptions } from './file-server.js';
export { startTraceHttpServer, type HttpMode, type TraceHttpOptions, type TraceHttpServer } from './http-server.js';
export { freePort, closedPort } from './ports.js';
export { isProcessAlive } from './process-group.js';
export { buildNetwork, TRACE_PATH, HOUR_MS, type Network, type NetworkSpec, type SourceSpec } from './network.js';
