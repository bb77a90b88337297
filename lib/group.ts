import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Groups runs of adjacent records with the same key into arrays (the candidates of one target arrive
 * together, in generation order). Emits a group when the key changes and the last one on completion.
 */
export function groupAdjacent<T>(key: (record: T) => string): OperatorFunction<T, T[]> {
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let group: T[] = [];
      let current: string | undefined;
      return source.subscribe({
        next: (v) => {
          const k = key(v);
          if (group.length && k !== current) {
            subscriber.next(group);
            group = [];
          }
          current = k;
          group.push(v);
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          if (group.length) subscriber.next(group);
          subscriber.complete();
        },
      });
    });
}
