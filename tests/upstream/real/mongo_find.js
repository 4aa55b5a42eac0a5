// Prints, as JSON, the documents of a collection of Koding's database that match a query, read with the
// MongoDB driver Koding itself uses (mongodb@1.4.14, upstream's package.json), on Node 0.10.
//   node mongo_find.js MONGO_URL COLLECTION QUERY_JSON
var MongoClient = require('mongodb').MongoClient;
var ObjectID = require('mongodb').ObjectID;

function revive(value) {
  // {"$oid": "..."} in the query stands for an ObjectID
  if (value && typeof value === 'object') {
    if (Object.keys(value).length === 1 && typeof value.$oid === 'string') return new ObjectID(value.$oid);
    Object.keys(value).forEach(function (key) { value[key] = revive(value[key]); });
  }
  return value;
}

MongoClient.connect(process.argv[2], function (err, db) {
  if (err) { console.error(err); process.exit(2); }
  db.collection(process.argv[3]).find(revive(JSON.parse(process.argv[4]))).toArray(function (err, docs) {
    if (err) { console.error(err); process.exit(2); }
    // the line after the driver's own notices (bson's pure-JS fallback prints one)
    process.stdout.write('\nRESULT ' + JSON.stringify(docs) + '\n');
    db.close();
  });
});
