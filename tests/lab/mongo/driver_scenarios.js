// Upstream Koding's Mongo driver (mongodb@1.4.14) against the lab Mongo, on Node 0.10 (ES5 only).
//   node driver_scenarios.js URI SCENARIO [ARG]
// Prints one JSON object: {step: result, ...}; each step records {error: {code, message}} when it failed.
// Scenarios: roundtrip, dump (ARG: JSON list of collections to count), persist-write, persist-read.
var mongodb = require('mongodb');
var ObjectID = mongodb.ObjectID;

var uri = process.argv[2];
var scenario = process.argv[3];
var arg = process.argv[4];
var report = {};

function errorOf(err) {
  return err ? { code: err.code === undefined ? null : err.code, message: String(err.err || err.errmsg || err.message || err) } : null;
}

// run(db, steps): each step is [name, function (db, done)], done(err, result) records the result.
function run(db, steps, finish) {
  var index = 0;
  function next() {
    if (index >= steps.length) return finish();
    var step = steps[index++];
    var called = false;
    step[1](db, function (err, result) {
      if (called) return;
      called = true;
      report[step[0]] = err ? { error: errorOf(err) } : result;
      next();
    });
  }
  next();
}

function names(docs) {
  return docs.map(function (doc) { return doc.name; }).sort();
}

var scenarios = {};

scenarios.roundtrip = [
  ['insert', function (db, done) {
    db.collection('people').insert([
      { name: 'alice', profile: { nickname: 'al', langs: ['en', 'de'] }, n: 1 },
      { name: 'bob', profile: { nickname: 'bo', langs: ['fr'] }, n: 2 },
      { name: 'carol', profile: { nickname: 'ca', langs: [] }, n: 3 }
    ], { w: 1 }, function (err, docs) {
      done(err, docs && { count: docs.length, idsAreObjectIDs: docs.every(function (d) { return d._id instanceof ObjectID; }) });
    });
  }],
  ['findInNested', function (db, done) {
    db.collection('people').find({ 'profile.nickname': { $in: ['al', 'ca'] } }).toArray(function (err, docs) {
      done(err, docs && names(docs));
    });
  }],
  ['findOneProjection', function (db, done) {
    db.collection('people').findOne({ name: 'bob' }, { fields: { 'profile.nickname': 1 } }, function (err, doc) {
      done(err, doc && { keys: Object.keys(doc).sort(), profile: doc.profile });
    });
  }],
  ['set', function (db, done) {
    db.collection('people').update({ name: 'alice' }, { $set: { n: 10, 'profile.nickname': 'ali' } }, { w: 1 }, function (err, count) {
      if (err) return done(err);
      db.collection('people').findOne({ name: 'alice' }, function (err2, doc) {
        done(err2, doc && { updated: count, n: doc.n, nickname: doc.profile.nickname, langs: doc.profile.langs });
      });
    });
  }],
  ['upsert', function (db, done) {
    db.collection('people').update({ name: 'dave' }, { $set: { n: 4 } }, { upsert: true, w: 1 }, function (err, count, full) {
      if (err) return done(err);
      db.collection('people').findOne({ name: 'dave' }, function (err2, doc) {
        done(err2, { updated: count, updatedExisting: full.updatedExisting, upsertedIsObjectID: full.upserted instanceof ObjectID, n: doc && doc.n });
      });
    });
  }],
  ['multiUpdate', function (db, done) {
    db.collection('people').update({}, { $inc: { n: 100 } }, { multi: true, w: 1 }, function (err, count) {
      if (err) return done(err);
      db.collection('people').find({}, { sort: { name: 1 } }).toArray(function (err2, docs) {
        done(err2, docs && { updated: count, n: docs.map(function (d) { return d.n; }) });
      });
    });
  }],
  ['findAndModify', function (db, done) {
    var counters = db.collection('counters');
    counters.findAndModify({ _id: 'seq' }, [], { $inc: { value: 1 } }, { new: true, upsert: true }, function (err, first) {
      if (err) return done(err);
      counters.findAndModify({ _id: 'seq' }, [], { $inc: { value: 1 } }, { new: true, upsert: true }, function (err2, second) {
        if (err2) return done(err2);
        counters.findAndModify({ _id: 'seq' }, [], { $inc: { value: 1 } }, {}, function (err3, old) {
          if (err3) return done(err3);
          counters.findAndModify({ _id: 'seq' }, [], {}, { remove: true }, function (err4, removed) {
            done(err4, { first: first.value, second: second.value, beforeThird: old.value, removed: removed && removed.value });
          });
        });
      });
    });
  }],
  ['count', function (db, done) {
    db.collection('people').count(function (err, all) {
      if (err) return done(err);
      db.collection('people').count({ n: { $gt: 102 } }, function (err2, some) {
        db.collection('nothing').count(function (err3, none) {
          done(err2 || err3, { all: all, some: some, missingCollection: none });
        });
      });
    });
  }],
  ['uniqueIndex', function (db, done) {
    db.collection('accounts').ensureIndex({ email: 1 }, { unique: true }, function (err, name) {
      if (err) return done(err);
      db.collection('accounts').indexInformation(function (err2, info) {
        done(err2, { name: name, info: info });
      });
    });
  }],
  ['duplicateKey', function (db, done) {
    var accounts = db.collection('accounts');
    accounts.insert({ email: 'a@lab.test' }, { w: 1 }, function (err) {
      if (err) return done(err);
      accounts.insert({ email: 'a@lab.test' }, { w: 1 }, function (err2) {
        accounts.count(function (err3, n) {
          done(err3, { refused: errorOf(err2), count: n });
        });
      });
    });
  }],
  ['duplicateKeyUpdate', function (db, done) {
    var accounts = db.collection('accounts');
    accounts.insert({ email: 'b@lab.test' }, { w: 1 }, function (err) {
      if (err) return done(err);
      accounts.update({ email: 'b@lab.test' }, { $set: { email: 'a@lab.test' } }, { w: 1 }, function (err2) {
        done(null, { refused: errorOf(err2) });
      });
    });
  }],
  ['cursorBatches', function (db, done) {
    var docs = [];
    for (var i = 0; i < 250; i++) docs.push({ i: i, pad: new Array(20).join('x') });
    db.collection('many').insert(docs, { w: 1 }, function (err) {
      if (err) return done(err);
      db.collection('many').find({}).toArray(function (err2, all) {
        done(err2, all && { count: all.length, first: all[0].i, last: all[all.length - 1].i });
      });
    });
  }],
  ['sortSkipLimit', function (db, done) {
    db.collection('many').find({}, { sort: [['i', -1]], skip: 10, limit: 5 }).toArray(function (err, docs) {
      done(err, docs && docs.map(function (d) { return d.i; }));
    });
  }],
  ['killCursor', function (db, done) {
    var cursor = db.collection('many').find({}, { batchSize: 10 });
    cursor.nextObject(function (err, doc) {
      if (err) return done(err);
      var id = cursor.cursorId;
      cursor.close(function (err2) {
        done(err2, { first: doc.i, cursorId: id ? id.toString() : null });
      });
    });
  }],
  ['remove', function (db, done) {
    db.collection('many').remove({ i: { $lt: 100 } }, { w: 1 }, function (err, removed) {
      if (err) return done(err);
      db.collection('many').count(function (err2, left) {
        done(err2, { removed: removed, left: left });
      });
    });
  }],
  ['modifiers', function (db, done) {
    // $hint, $snapshot and $maxScan are accepted (and have no effect); $explain answers a plan
    db.collection('many').find({ i: { $gte: 245 } }, { hint: { i: 1 }, snapshot: true, maxScan: 1000 }).toArray(function (err, docs) {
      if (err) return done(err);
      db.collection('many').find({ i: { $gte: 245 } }).explain(function (err2, plan) {
        done(err2, { found: docs.map(function (d) { return d.i; }), explained: plan && plan.n });
      });
    });
  }],
  ['objectIds', function (db, done) {
    var id = new ObjectID();
    var ref = new ObjectID();
    db.collection('refs').insert({ _id: id, ref: ref, refs: [ref] }, { w: 1 }, function (err) {
      if (err) return done(err);
      db.collection('refs').findOne({ ref: ref }, function (err2, doc) {
        db.collection('refs').findOne({ _id: new ObjectID(id.toHexString()) }, function (err3, again) {
          done(err2 || err3, {
            id: doc._id.toHexString() === id.toHexString(),
            isObjectID: doc.ref instanceof ObjectID,
            ref: doc.ref.equals(ref),
            inArray: doc.refs[0].equals(ref),
            byHex: !!again
          });
        });
      });
    });
  }],
  ['regex', function (db, done) {
    db.collection('texts').insert([{ s: 'Hello World' }, { s: 'goodbye' }, { pattern: /ab+c/im }], { w: 1 }, function (err) {
      if (err) return done(err);
      db.collection('texts').find({ s: /^hel/i }).toArray(function (err2, docs) {
        db.collection('texts').findOne({ pattern: { $exists: true } }, function (err3, stored) {
          done(err2 || err3, {
            matched: docs.map(function (d) { return d.s; }),
            stored: stored && { isRegExp: stored.pattern instanceof RegExp, source: stored.pattern.source, ignoreCase: stored.pattern.ignoreCase, multiline: stored.pattern.multiline }
          });
        });
      });
    });
  }],
  ['dates', function (db, done) {
    var when = new Date(1471910400123);
    db.collection('events').insert([{ name: 'then', when: when }, { name: 'later', when: new Date(1471910500000) }], { w: 1 }, function (err) {
      if (err) return done(err);
      db.collection('events').findOne({ name: 'then' }, function (err2, doc) {
        db.collection('events').find({ when: { $gt: new Date(1471910400200) } }).toArray(function (err3, later) {
          done(err2 || err3, { isDate: doc.when instanceof Date, millis: doc.when.getTime(), after: later.map(function (d) { return d.name; }) });
        });
      });
    });
  }],
  ['positional', function (db, done) {
    db.collection('tagged').insert({ name: 't', tags: [{ k: 1, v: 'a' }, { k: 2, v: 'b' }, { k: 3, v: 'c' }] }, { w: 1 }, function (err) {
      if (err) return done(err);
      db.collection('tagged').update({ 'tags.k': 2 }, { $set: { 'tags.$.v': 'B' } }, { w: 1 }, function (err2) {
        if (err2) return done(err2);
        db.collection('tagged').findOne({ 'tags.k': 3 }, { fields: { 'tags.$': 1 } }, function (err3, projected) {
          db.collection('tagged').findOne({ name: 't' }, function (err4, doc) {
            done(err3 || err4, { values: doc.tags.map(function (t) { return t.v; }), projected: projected && projected.tags });
          });
        });
      });
    });
  }],
  ['elemMatch', function (db, done) {
    db.collection('tagged').find({ tags: { $elemMatch: { k: 1, v: 'a' } } }).toArray(function (err, docs) {
      if (err) return done(err);
      db.collection('tagged').findOne({ name: 't' }, { fields: { tags: { $elemMatch: { k: { $gte: 2 } } } } }, function (err2, projected) {
        done(err2, { matched: docs.length, projectedKeys: projected && Object.keys(projected).sort(), projected: projected && projected.tags });
      });
    });
  }],
  ['distinct', function (db, done) {
    db.collection('people').distinct('profile.langs', function (err, values) {
      done(err, values && values.sort());
    });
  }],
  ['aggregate', function (db, done) {
    db.collection('many').aggregate([{ $match: { i: { $gte: 240 } } }, { $group: { _id: null, total: { $sum: '$i' }, n: { $sum: 1 } } }], function (err, result) {
      done(err, result);
    });
  }],
  ['collectionNames', function (db, done) {
    db.collectionNames(function (err, items) {
      done(err, items && items.map(function (item) { return item.name; }).sort());
    });
  }],
  ['drop', function (db, done) {
    db.collection('texts').drop(function (err, dropped) {
      if (err) return done(err);
      db.collection('texts').drop(function (err2) {
        db.collectionNames('texts', function (err3, items) {
          done(err3, { dropped: dropped, secondDrop: errorOf(err2), left: items.length });
        });
      });
    });
  }],
  ['dropDatabase', function (db, done) {
    var other = db.db('roundtrip_scratch');
    other.collection('x').insert({ a: 1 }, { w: 1 }, function (err) {
      if (err) return done(err);
      other.dropDatabase(function (err2, dropped) {
        other.collectionNames(function (err3, items) {
          done(err2 || err3, { dropped: dropped, left: items.length });
        });
      });
    });
  }]
];

scenarios.dump = [
  ['counts', function (db, done) {
    var collections = JSON.parse(arg);
    var counts = {};
    (function next(i) {
      if (i >= collections.length) return done(null, counts);
      db.collection(collections[i]).count(function (err, n) {
        if (err) return done(err);
        counts[collections[i]] = n;
        next(i + 1);
      });
    })(0);
  }],
  ['kodingGroup', function (db, done) {
    db.collection('jGroups').findOne({ slug: 'koding' }, function (err, group) {
      done(err, group && { slug: group.slug, title: group.title, idIsObjectID: group._id instanceof ObjectID });
    });
  }],
  ['indexes', function (db, done) {
    db.collection('jUsers').indexInformation({ full: true }, function (err, indexes) {
      done(err, indexes && indexes.map(function (index) { return { name: index.name, unique: !!index.unique }; }));
    });
  }],
  ['uniqueUsername', function (db, done) {
    db.collection('jUsers').findOne({}, function (err, user) {
      if (err) return done(err);
      db.collection('jUsers').insert({ username: user.username, email: 'other@lab.test' }, { w: 1 }, function (err2) {
        done(null, { refused: errorOf(err2) });
      });
    });
  }]
];

scenarios['persist-write'] = [
  ['write', function (db, done) {
    db.collection('kept').ensureIndex({ key: 1 }, { unique: true }, function (err) {
      if (err) return done(err);
      db.collection('kept').insert([{ key: 'a', when: new Date(1471910400123) }, { key: 'b' }], { w: 1 }, function (err2) {
        if (err2) return done(err2);
        db.collection('kept').update({ key: 'b' }, { $set: { v: 2 } }, { w: 1 }, function (err3) {
          db.collection('gone').insert({ x: 1 }, { w: 1 }, function (err4) {
            db.collection('gone').drop(function (err5) {
              done(err3 || err4 || err5, true);
            });
          });
        });
      });
    });
  }]
];

scenarios['persist-read'] = [
  ['read', function (db, done) {
    db.collection('kept').find({}, { sort: { key: 1 } }).toArray(function (err, docs) {
      if (err) return done(err);
      db.collection('kept').insert({ key: 'a' }, { w: 1 }, function (err2) {
        db.collectionNames(function (err3, items) {
          done(err3, {
            docs: docs.map(function (d) { return { key: d.key, v: d.v, millis: d.when ? d.when.getTime() : null }; }),
            duplicate: errorOf(err2),
            collections: items.map(function (item) { return item.name; }).sort()
          });
        });
      });
    });
  }]
];

mongodb.MongoClient.connect(uri, function (err, db) {
  if (err) {
    console.log(JSON.stringify({ connect: { error: errorOf(err) } }));
    process.exit(1);
  }
  run(db, scenarios[scenario], function () {
    db.close();
    console.log(JSON.stringify(report));
  });
});
