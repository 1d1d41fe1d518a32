import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { TokenIssuerRequest } from '../shared/contract';
import { IssuerError } from './errors';

/** Invokes the issuer function synchronously and returns its parsed JSON answer. */
export interface LambdaInvoker {
  /** Throws {@link IssuerError} when the call fails, the function throws, or it answers non-JSON. */
  invoke(functionName: string, request: TokenIssuerRequest): Promise<unknown>;
}

/** The slice of `@aws-sdk/client-lambda` the default invoker uses. */
export interface LambdaSdk {
  readonly LambdaClient: new (config: Record<string, unknown>) => { send(command: unknown): Promise<InvokeOutput> };
  readonly InvokeCommand: new (input: { FunctionName: string; InvocationType: 'RequestResponse'; Payload: Uint8Array }) => unknown;
}

interface InvokeOutput {
  readonly StatusCode?: number;
  readonly FunctionError?: string;
  readonly Payload?: Uint8Array;
}

/**
 * Calls Lambda with the AWS SDK v3 client bundled into the rotation handler. The client is built on
 * first use, so the rotation of a `TokenIssuer.random()` token never builds it; tests inject a fake
 * {@link LambdaSdk} or a whole {@link LambdaInvoker}. Its classes are imported, not required on first
 * use: a `require` made esbuild keep the whole Lambda client (every command and shape) and wrap the
 * SDK core it shares with Secrets Manager in lazily initialised modules, which cost the rotation
 * handler more at cold start than the `Invoke` slice it now loads (BENCHMARKS.md, B3).
 */
export class SdkLambdaInvoker implements LambdaInvoker {
  private client: { send(command: unknown): Promise<InvokeOutput> } | undefined;
  private sdk: LambdaSdk | undefined;

  public constructor(private readonly loadSdk: () => LambdaSdk = () => ({ LambdaClient, InvokeCommand }) as unknown as LambdaSdk) {}

  public async invoke(functionName: string, request: TokenIssuerRequest): Promise<unknown> {
    this.sdk ??= this.loadSdk();
    this.client ??= new this.sdk.LambdaClient({});
    let output: InvokeOutput;
    try {
      output = await this.client.send(new this.sdk.InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(request)),
      }));
    } catch (error) {
      throw new IssuerError(request.action, `invoking ${functionName} failed`, { cause: error });
    }
    const text = output.Payload ? new TextDecoder().decode(output.Payload) : '';
    if (output.FunctionError) {
      throw new IssuerError(request.action, `${functionName} raised ${output.FunctionError}: ${errorMessage(text)}`);
    }
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new IssuerError(request.action, `${functionName} answered something that is not JSON`, { cause: error });
    }
  }
}

/** The `errorMessage` of a Lambda error payload, never the whole payload (it could echo a token). */
function errorMessage(payload: string): string {
  try {
    const parsed = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    const type = typeof parsed.errorType === 'string' ? parsed.errorType : 'Error';
    const message = typeof parsed.errorMessage === 'string' ? parsed.errorMessage.slice(0, 500) : '';
    return `${type}: ${message}`;
  } catch {
    return 'unreadable error payload';
  }
}
