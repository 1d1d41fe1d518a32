/** Input the CLI should report to the user as is (unknown provider, unusable key, unsafe layout…), rather than crash on. */
export class SendInputError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'SendInputError';
  }
}
