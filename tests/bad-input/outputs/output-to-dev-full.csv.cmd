check policy.gj --data {} --output /dev/full --format json --as-of 2017-06-30 --color never --lang en
