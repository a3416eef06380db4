export namespace app {
	
	export interface AboutInfo {
	    name: string;
	    version: string;
	    platform: string;
	    dataDir: string;
	    demo: boolean;
	}
	export interface PingReply {
	    echo: string;
	    receivedAt: string;
	}

}

