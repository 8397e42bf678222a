export { Trainyard, type AnsweredTask, type SubmitOptions, type TrainyardOptions, type UploadOptions, type WaitOptions } from './client.js';
export { TrainyardError, type ClientErrorCode } from './errors.js';
export type * from './types.js';
