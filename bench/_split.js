const h = () => Number(process.hrtime.bigint()) / 1e6;
let t = h();
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb'); const a = h();
const { SQSClient } = require('@aws-sdk/client-sqs'); const b = h();
const { SecretsManagerClient } = require('@aws-sdk/client-secrets-manager'); const c = h();
new DynamoDBClient({}); const d = h(); new SQSClient({}); const e = h(); new SecretsManagerClient({}); const f = h();
console.log({ ddbReq: a - t, sqsReq: b - a, smReq: c - b, ddbNew: d - c, sqsNew: e - d, smNew: f - e });
