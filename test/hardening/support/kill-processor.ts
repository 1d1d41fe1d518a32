/**
 * A processor for the kill tests, bundled at test time with esbuild and run by the harness like a
 * Lambda bundle (so a timed-out invocation's environment really is stopped and cut off from AWS).
 *
 * Each run of the handler first adds 1 to a counter in the effects table (`runs#<event ID>`, an
 * unconditional ADD): that count is what a double run shows in, so the tests can tell one run from
 * two. Its work is one side effect made idempotent by the event ID — a conditional write to the
 * effects table — as processors' side effects should be; it logs `completed` each time the handler
 * finishes. An event whose body says `"hangOn": "work"` never finishes its first attempt.
 */
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { webhookProcessor } from '../../../lambda/runtime';

const client = new DynamoDBClient({});
const EFFECTS_TABLE = process.env.EFFECTS_TABLE as string;

export const handler = webhookProcessor(async (event) => {
  await client.send(new UpdateItemCommand({
    TableName: EFFECTS_TABLE, Key: { pk: { S: `runs#${event.id}` } }, UpdateExpression: 'ADD runs :one', ExpressionAttributeValues: { ':one': { N: '1' } },
  }));
  const body = event.json<{ hangOn?: string }>();
  if (body.hangOn === 'work' && event.delivery.receiveCount === 1) await new Promise(() => undefined);
  try {
    await client.send(new PutItemCommand({ TableName: EFFECTS_TABLE, Item: { pk: { S: event.id } }, ConditionExpression: 'attribute_not_exists(pk)' }));
    console.log(JSON.stringify({ msg: 'effect applied', eventId: event.id }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    console.log(JSON.stringify({ msg: 'effect already applied', eventId: event.id }));
  }
  console.log(JSON.stringify({ msg: 'completed', eventId: event.id }));
}, { metrics: { count: () => undefined } });
