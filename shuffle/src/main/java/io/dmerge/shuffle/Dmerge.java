package io.dmerge.shuffle;

/**
 * The Dmerge primitives, one instance per job on a node.
 *
 * <p>A producer asks for a {@link RegionBuffer}, writes its output into it once, then {@link
 * #register}s it under an id and key. A consumer {@link #rmap}s the region read-only by id and
 * key. {@link #close()} releases every region of the job.
 */
public interface Dmerge extends AutoCloseable {

  /** This node's name, as it appears in {@link RegionMeta#node()}. */
  String node();

  /** A fresh writable region; nothing can map it until it is registered. */
  RegionBuffer allocate(String id);

  /** register_mem: publish a fully written region under (id, key). */
  RegionMeta register(RegionBuffer region, AccessKey key);

  /** rmap: map a registered region read-only, checking the key. */
  MappedRegion rmap(RegionMeta meta, AccessKey key);

  /**
   * Drop a region: it can no longer be rmapped. Mappings that consumers still hold stay mapped
   * until they close them, but a transport that recycles region files may write the released
   * file again, so release a region only once its consumers are done with it.
   */
  void release(String id);

  /** Bytes currently registered by this job on this node. */
  long registeredBytes();

  /** Releases every region of the job. */
  @Override
  void close();
}
