/**
 * Joins queued events' JSON (each serialized when it was queued) into a batch body,
 * `{"events":[...],"droppedEvents"?:n}`. The queue has already kept the batch within its size limit.
 */
export function serializeBatch(texts: string[], droppedEvents: number): string {
  return `{"events":[${texts.join(",")}]${droppedEvents > 0 ? `,"droppedEvents":${droppedEvents}` : ""}}`;
}
