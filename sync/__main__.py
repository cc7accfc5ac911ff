from sync.cli import main

if __name__ == "__main__":  # worker processes of a sync import the main module again
    main()
