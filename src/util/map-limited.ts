/**
 * Maps `items` through `work` with at most `limit` calls running at once; results keep the items'
 * order. At least one worker runs, so a limit below 1 still gets through the list. `work` should
 * not throw: a rejection ends the whole map.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
