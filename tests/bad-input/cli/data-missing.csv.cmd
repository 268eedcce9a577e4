check policy.gj --data nope.csv --as-of 2017-06-30 --color never --lang en
