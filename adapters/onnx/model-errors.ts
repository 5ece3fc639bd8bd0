// Errors raised while loading a model folder. They name the file or field at fault, so a
// person can fix the folder without reading our code.
export class ModelFolderError extends Error {
  override readonly name = 'ModelFolderError';
  constructor(
    readonly folder: string,
    readonly file: string,
    detail: string,
  ) {
    super(`model folder ${folder}: ${file}: ${detail}`);
  }
}
