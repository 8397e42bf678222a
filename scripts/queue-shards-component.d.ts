export declare function queueShardsComponent(shards: number, prefix: string): string;
