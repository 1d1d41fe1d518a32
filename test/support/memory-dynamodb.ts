import {
  ConditionalCheckFailedException, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/**
 * An in-memory stand-in for the few DynamoDB calls the verifier's ClaimStore makes, with the same
 * semantics as the service: a conditional `PutItem` (`attribute_not_exists` on the key) that fails
 * with ConditionalCheckFailedException carrying the existing item when `ALL_OLD` is asked for,
 * `UpdateItem` with `SET #a = :v` and `SET #a = if_not_exists(#a, :v)` clauses (creating the item
 * when absent, as DynamoDB does), and `GetItem` with an optional projection.
 *
 * It exists so that property tests can run tens of thousands of requests through the real ClaimStore
 * and handler in seconds; `test/support/memory-dynamodb.test.ts` runs the same script against moto and
 * against this class and requires identical answers. Anything else it is sent throws, so a new call
 * in ClaimStore cannot silently pass through it.
 */
export class MemoryDynamoDb {
  public readonly items = new Map<string, Item>();
  public calls = 0;

  public constructor(private readonly partitionKey: string) {}

  /** The object to hand to code that expects a DynamoDBClient. */
  public asClient(): DynamoDBClient {
    return this as unknown as DynamoDBClient;
  }

  public async send(command: unknown): Promise<unknown> {
    this.calls += 1;
    if (command instanceof PutItemCommand) return this.put(command.input);
    if (command instanceof UpdateItemCommand) return this.update(command.input);
    if (command instanceof GetItemCommand) return this.get(command.input);
    throw new Error(`MemoryDynamoDb does not implement ${(command as object)?.constructor?.name}`);
  }

  private keyOf(key: Item | undefined): string {
    const value = key?.[this.partitionKey]?.S;
    if (value === undefined) throw new Error(`MemoryDynamoDb: missing string key ${this.partitionKey}`);
    return value;
  }

  private put(input: PutItemCommand['input']): object {
    const key = this.keyOf(input.Item);
    const condition = input.ConditionExpression;
    if (condition !== undefined) {
      const names = input.ExpressionAttributeNames ?? {};
      const match = /^attribute_not_exists\((#?\w+)\)$/.exec(condition.trim());
      const attribute = match ? (names[match[1]] ?? match[1]) : undefined;
      if (attribute !== this.partitionKey) throw new Error(`MemoryDynamoDb: unsupported condition ${condition}`);
      const existing = this.items.get(key);
      if (existing) {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? structuredClone(existing) : undefined,
        });
      }
    }
    this.items.set(key, structuredClone(input.Item as Item));
    return {};
  }

  private update(input: UpdateItemCommand['input']): object {
    const key = this.keyOf(input.Key);
    if (input.ConditionExpression !== undefined) throw new Error('MemoryDynamoDb: conditional updates are not implemented');
    const names = input.ExpressionAttributeNames ?? {};
    const values = input.ExpressionAttributeValues ?? {};
    const expression = (input.UpdateExpression ?? '').trim();
    if (!expression.startsWith('SET ')) throw new Error(`MemoryDynamoDb: unsupported update ${expression}`);
    const item: Item = structuredClone(this.items.get(key) ?? (input.Key as Item));
    for (const clause of expression.slice(4).split(/,(?![^(]*\))/)) {
      const plain = /^\s*(#?\w+)\s*=\s*(:\w+)\s*$/.exec(clause);
      const ifNotExists = /^\s*(#?\w+)\s*=\s*if_not_exists\(\s*(#?\w+)\s*,\s*(:\w+)\s*\)\s*$/.exec(clause);
      if (plain) item[names[plain[1]] ?? plain[1]] = values[plain[2]];
      else if (ifNotExists) {
        const target = names[ifNotExists[1]] ?? ifNotExists[1];
        const probe = names[ifNotExists[2]] ?? ifNotExists[2];
        if (item[probe] === undefined) item[target] = values[ifNotExists[3]];
      } else throw new Error(`MemoryDynamoDb: unsupported clause ${clause}`);
    }
    this.items.set(key, item);
    return {};
  }

  private get(input: GetItemCommand['input']): object {
    const existing = this.items.get(this.keyOf(input.Key));
    if (!existing) return {};
    if (!input.ProjectionExpression) return { Item: structuredClone(existing) };
    const names = input.ExpressionAttributeNames ?? {};
    const projected: Item = {};
    for (const name of input.ProjectionExpression.split(',').map((part) => part.trim())) {
      const attribute = names[name] ?? name;
      if (existing[attribute] !== undefined) projected[attribute] = structuredClone(existing[attribute]);
    }
    return { Item: projected };
  }
}
