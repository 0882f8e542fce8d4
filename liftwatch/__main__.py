from liftwatch.cli import main

main()
