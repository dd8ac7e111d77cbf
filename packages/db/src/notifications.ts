import type { Pool, PoolClient } from './pool.js';

/** A live subscription to a notification channel; `close()` stops listening and gives the connection back. */
export type ChannelSubscription = { close(): Promise<void> };

export interface ChannelHandlers {
  /** The payload of each notification on the channel ('' when it had none). */
  onNotification(payload: string): void;
  /** After every (re)connect, once LISTEN is in place: reload what may have changed while deaf. */
  onListening(): void;
  /** The connection failed or ended (or could not be made); a reconnect is scheduled. */
  onError(err: unknown): void;
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * `LISTEN channel` on a connection of its own taken from the pool (held for as long as the
 * subscription lives). A lost connection is replaced with a doubling backoff; notifications
 * sent while no connection listened are gone, which is why `onListening` runs after every
 * (re)connect.
 */
export function subscribeChannel(
  pool: Pool,
  channel: string,
  handlers: ChannelHandlers,
  opts: { minRetryMs?: number; maxRetryMs?: number } = {},
): ChannelSubscription {
  // The name goes into LISTEN as an identifier; only plain names are accepted.
  if (!CHANNEL_NAME.test(channel)) throw new Error(`bad notification channel name '${channel}'`);
  const minMs = opts.minRetryMs ?? 200;
  const maxMs = opts.maxRetryMs ?? 5_000;
  let closed = false;
  let client: PoolClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delay = minMs;

  const retry = (err: unknown): void => {
    handlers.onError(err);
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, maxMs);
  };

  const drop = (err: unknown): void => {
    const c = client;
    client = undefined;
    if (c) {
      c.removeAllListeners('notification');
      // Destroy rather than return it: the connection is broken (or still LISTENing).
      c.release(err instanceof Error ? err : true);
    }
    if (!closed) retry(err);
  };

  const connect = (): void => {
    timer = undefined;
    if (closed) return;
    pool.connect().then(
      async (c) => {
        if (closed) {
          c.release();
          return;
        }
        client = c;
        c.on('notification', (n) => {
          if (n.channel === channel) handlers.onNotification(n.payload ?? '');
        });
        c.once('error', (err) => {
          if (client === c) drop(err);
        });
        c.once('end', () => {
          if (client === c) drop(new Error(`${channel} listener connection ended`));
        });
        try {
          await c.query(`LISTEN ${channel}`);
        } catch (err) {
          if (client === c) drop(err);
          return;
        }
        delay = minMs;
        handlers.onListening();
      },
      (err: unknown) => {
        if (!closed) retry(err);
      },
    );
  };

  connect();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      if (!c) return;
      c.removeAllListeners('notification');
      try {
        await c.query(`UNLISTEN ${channel}`);
        c.release();
      } catch (err) {
        c.release(err instanceof Error ? err : true);
      }
    },
  };
}

/** Sent at commit by any change to enterprises, hazard sources, devices or measuring points (migration 0010); the payload is the table. */
export const REGISTRY_CHANGED_CHANNEL = 'hw_registry_changed';

/** Whether anything was notified on a channel since a moment, known without asking the database. */
export interface ChannelGeneration {
  /** Moves on every notification and every (re)connect; null while not listening (then nothing can be trusted to be unchanged). */
  generation(): number | null;
  close(): Promise<void>;
}

/**
 * A generation counter over `subscribeChannel`: moves on every notification, and on every
 * (re)connect and connection loss too, since notifications sent while nobody listened reached
 * no one. A reader keeps the generation at which it last read what the channel announces
 * changes of, and reads again once it moved.
 */
export function watchGeneration(
  pool: Pool,
  channel: string,
  opts: { onNotification?: (payload: string) => void; onError?: (err: unknown) => void } = {},
): ChannelGeneration {
  let generation = 0;
  let listening = false;
  const sub = subscribeChannel(pool, channel, {
    onNotification: (payload) => {
      generation++;
      opts.onNotification?.(payload);
    },
    onListening: () => {
      generation++;
      listening = true;
    },
    onError: (err) => {
      listening = false;
      generation++;
      opts.onError?.(err);
    },
  });
  return {
    generation: () => (listening ? generation : null),
    async close() {
      listening = false;
      await sub.close();
    },
  };
}
