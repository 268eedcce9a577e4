check _broken.gj --data {} --output _stale.json --format json --as-of 2017-06-30 --color never --lang en
