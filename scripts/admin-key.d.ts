export declare const adminKeyFile: string;
export declare function adminKey(file?: string, env?: NodeJS.ProcessEnv): string;
