/**
 * The token-set cache and its stores.
 *
 * @module
 */
export { MemoryStore, memoryStore } from "./memory_store.ts";
export type { MemoryStoreOptions } from "./memory_store.ts";
export { CLOUDFLARE_KV_MIN_TTL_SECONDS, cloudflareKVStore } from "./cloudflare_kv_store.ts";
export type { KVNamespaceLike } from "./cloudflare_kv_store.ts";
export { durableObjectStore } from "./durable_object_store.ts";
export type {
  AtomicKVStore,
  DurableObjectNamespaceLike,
  DurableObjectStoreOptions,
  DurableObjectStubLike,
} from "./durable_object_store.ts";
export { AuthLiteStoreObject } from "./durable_object.ts";
export type { DurableObjectStateLike, DurableObjectStorageLike } from "./durable_object.ts";
export { denoKVStore } from "./deno_kv_store.ts";
export type { DenoKvAtomicLike, DenoKvLike, DenoKVStoreOptions } from "./deno_kv_store.ts";
export { redisStore } from "./redis_store.ts";
export type { BunRedisLike, IoRedisLike, NodeRedisLike, RedisClientLike } from "./redis_store.ts";
export { TokenSetCache } from "./token_set_cache.ts";
export type {
  MemoryLayerOptions,
  TokenSetCacheErrorEvent,
  TokenSetCacheOptions,
  TokenSetCacheStats,
} from "./token_set_cache.ts";
export type { KVPutOptions, KVStore } from "./store.ts";
export type {
  ForgetOptions,
  TokenCheck,
  TokenPair,
  TokenSetCacheLike,
  TokenSetUpstream,
} from "./types.ts";
export { RoleMarks } from "./marks.ts";
export type { RoleMarksOptions } from "./marks.ts";
