declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    readonly createStreamMs?: number;
    readonly deleteStreamMs?: number;
    readonly updateStreamMs?: number;
    readonly shardLimit?: number;
    /** Omitted: the in-memory store (memdown), nothing on disk and no native module. */
    readonly path?: string;
  }
  export default function kinesalite(options?: KinesaliteOptions): Server;
}
