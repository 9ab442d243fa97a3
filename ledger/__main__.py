from ledger.faces.cli import main

main()
