// Interoperability helper for aggregate's KPL tests: runs awslabs'
// aws-kinesis-agg (the Node.js module of github.com/awslabs/kinesis-aggregation)
// on records given as JSON on standard input and prints the result as JSON.
//
//   {"mode": "deaggregate", "records": [{"partitionKey": "…", "data": "<base64>"}]}
//     -> [{"partitionKey": "…", "explicitHashKey": "…", "data": "<base64>"}]  (user records)
//   {"mode": "aggregate", "records": [{"partitionKey": "…", "explicitHashKey": "…", "data": "<base64>"}]}
//     -> [{"partitionKey": "…", "data": "<base64>"}]  (aggregated records)
//
// NODE_PATH must name the folder holding aws-kinesis-agg.
"use strict";
const agg = require("aws-kinesis-agg");

let input = "";
process.stdin.on("data", (c) => (input += c));
process.stdin.on("end", () => {
  const req = JSON.parse(input);
  const out = [];
  if (req.mode === "deaggregate") {
    for (const r of req.records) {
      agg.deaggregateSync({ partitionKey: r.partitionKey, data: r.data, sequenceNumber: "0" }, true, (err, users) => {
        if (err) throw err;
        for (const u of users) {
          out.push({ partitionKey: u.partitionKey, explicitHashKey: u.explicitPartitionKey || "", data: u.data });
        }
      });
    }
  } else if (req.mode === "aggregate") {
    const ra = new agg.RecordAggregator();
    const emit = (err, enc) => {
      if (err) throw err;
      if (enc) out.push({ partitionKey: enc.partitionKey, data: enc.data.toString("base64") });
    };
    const users = req.records.map((r) => {
      const u = { partitionKey: r.partitionKey, data: Buffer.from(r.data, "base64") };
      if (r.explicitHashKey) u.explicitHashKey = r.explicitHashKey;
      return u;
    });
    ra.aggregateRecords(users, true, emit);
  } else {
    throw new Error("unknown mode " + req.mode);
  }
  process.stdout.write(JSON.stringify(out));
});
